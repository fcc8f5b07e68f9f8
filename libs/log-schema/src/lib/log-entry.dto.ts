import { IsDefined, IsIn, IsNotEmpty, IsString, Length, Matches, ValidateIf } from 'class-validator';
import { IsLogAttributes, IsLogTimestamp, IsStorableText, MaxUtf8Bytes } from './log-entry.constraints';
import {
  EVENT_ID_PATTERN,
  MAX_EVENT_ID_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_SERVICE_LENGTH,
  SPAN_ID_PATTERN,
  TRACE_ID_PATTERN,
} from './log-entry.limits';
import { LOG_LEVELS, LogLevel } from './log-level';

// Optional means absent. An explicit null is a value of the wrong type, so it is validated (and refused)
// rather than skipped as @IsOptional() would.
const isPresent = (_dto: object, value: unknown): boolean => value !== undefined;

/**
 * A log entry as a client submits it (JSON body, snake_case). The decorators are the rules.
 *
 * Validation runs with stopAtFirstError, so each field reports one error: @IsDefined first, then the
 * other rules from the one nearest the property upwards (decorators apply bottom-up, and class-validator
 * keeps that order). Hence the type check sits directly above each property.
 */
export class LogEntryDto {
  @ValidateIf(isPresent)
  @IsLogTimestamp()
  timestamp?: string | number;

  @IsDefined({ message: 'level is required' })
  @IsIn(LOG_LEVELS, { message: `level must be one of: ${LOG_LEVELS.join(', ')}` })
  level!: LogLevel;

  @IsDefined({ message: 'service is required' })
  @IsStorableText()
  @Length(1, MAX_SERVICE_LENGTH, { message: `service must be 1-${MAX_SERVICE_LENGTH} characters long` })
  @IsString({ message: 'service must be a string' })
  service!: string;

  @IsDefined({ message: 'message is required' })
  @IsStorableText()
  @MaxUtf8Bytes(MAX_MESSAGE_BYTES)
  @IsNotEmpty({ message: 'message must not be empty' })
  @IsString({ message: 'message must be a string' })
  message!: string;

  @ValidateIf(isPresent)
  @IsLogAttributes()
  attributes?: Record<string, unknown>;

  @ValidateIf(isPresent)
  @Matches(TRACE_ID_PATTERN, { message: 'trace_id must be exactly 32 hexadecimal characters' })
  trace_id?: string;

  @ValidateIf(isPresent)
  @Matches(SPAN_ID_PATTERN, { message: 'span_id must be exactly 16 hexadecimal characters' })
  span_id?: string;

  @ValidateIf(isPresent)
  @Matches(EVENT_ID_PATTERN, {
    message: `id must be 1-${MAX_EVENT_ID_LENGTH} characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"`,
  })
  id?: string;
}
