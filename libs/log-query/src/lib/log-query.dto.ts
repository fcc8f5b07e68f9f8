import { LOG_LEVELS, MAX_SERVICE_LENGTH, TRACE_ID_PATTERN, type LogLevel } from '@logpipe/log-schema';
import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  Validate,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { decodeCursor } from './log-cursor';
import { timeBoundProblem, wordsProblem } from './log-query.rules';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
export const MAX_SERVICES = 20;
export const MAX_QUERY_TEXT_LENGTH = 200;

@ValidatorConstraint({ name: 'timeBound' })
class TimeBoundConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return timeBoundProblem(value) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${timeBoundProblem(args.value) ?? 'is invalid'}`;
  }
}

@ValidatorConstraint({ name: 'words' })
class WordsConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return wordsProblem(value) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${wordsProblem(args.value) ?? 'is invalid'}`;
  }
}

@ValidatorConstraint({ name: 'cursor' })
class CursorConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && decodeCursor(value) !== null;
  }

  defaultMessage(): string {
    return 'cursor is not a cursor this API returned (pass next_cursor of the previous page unchanged)';
  }
}

/**
 * The query string of GET /api/logs (and, without `limit` and `cursor`, of /api/logs/tail and
 * /api/logs/count): its rules validate every request and its @ApiProperty metadata is what /docs
 * shows. `attr.<key>=<value>` parameters have dynamic names, so they are checked beside this class
 * (see parseLogQuery) and documented on the routes.
 */
export class LogQueryDto {
  @ApiPropertyOptional({
    description: `Only these services: repeat the parameter or separate names with commas (at most ${MAX_SERVICES}).`,
    type: [String],
    example: ['checkout', 'payments'],
  })
  @IsOptional()
  @ArrayMaxSize(MAX_SERVICES, { message: `service may name at most ${MAX_SERVICES} services` })
  @IsString({ each: true })
  @Length(1, MAX_SERVICE_LENGTH, {
    each: true,
    message: `service names must be 1-${MAX_SERVICE_LENGTH} characters each`,
  })
  service?: string[];

  @ApiPropertyOptional({
    description: 'Minimum level: `warn` returns warn, error and fatal.',
    enum: LOG_LEVELS,
  })
  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `level must be one of: ${LOG_LEVELS.join(', ')}` })
  level?: LogLevel;

  @ApiPropertyOptional({
    description: 'Event time at or after this instant: ISO-8601 with a zone, or epoch milliseconds.',
    example: '2026-11-26T09:00:00Z',
  })
  @IsOptional()
  @Validate(TimeBoundConstraint)
  from?: string;

  @ApiPropertyOptional({
    description: 'Event time before this instant (exclusive): ISO-8601 with a zone, or epoch milliseconds.',
    example: '2026-11-26T10:00:00Z',
  })
  @IsOptional()
  @Validate(TimeBoundConstraint)
  to?: string;

  @ApiPropertyOptional({
    description:
      'Words that must all occur in the message, case-insensitively, anywhere (substring match, served by a trigram index). ' +
      'Each word needs at least 3 characters.',
    maxLength: MAX_QUERY_TEXT_LENGTH,
    example: 'payment declined',
  })
  @IsOptional()
  @IsString({ message: 'q must be given once' })
  @Validate(WordsConstraint)
  q?: string;

  @ApiPropertyOptional({
    description: 'Entries of this trace: 32 hexadecimal characters.',
    example: '4bf92f3577b34da6a3ce929d0e0e4736',
  })
  @IsOptional()
  @Matches(TRACE_ID_PATTERN, { message: 'trace_id must be exactly 32 hexadecimal characters' })
  trace_id?: string;

  @ApiPropertyOptional({
    description: `Entries per page (GET /api/logs only).`,
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
  })
  @IsOptional()
  @IsInt({ message: `limit must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  @Min(1, { message: `limit must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  @Max(MAX_PAGE_SIZE, { message: `limit must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page, unchanged (GET /api/logs only).' })
  @IsOptional()
  @Validate(CursorConstraint)
  cursor?: string;
}
