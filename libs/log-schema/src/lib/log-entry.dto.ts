import { IsDefined, IsIn, Matches, ValidateIf } from 'class-validator';
import { IsLogAttributes, IsLogText, IsLogTimestamp } from './log-entry.constraints';
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
 * A log entry as a client submits it (JSON body, snake_case). The decorators are the rules: each field
 * has @IsDefined (required) or @ValidateIf (optional) plus one rule, and validation runs with
 * stopAtFirstError, so a field reports a single error.
 */
export class LogEntryDto {
  @ValidateIf(isPresent)
  @IsLogTimestamp()
  timestamp?: string | number;

  @IsDefined({ message: 'level is required' })
  @IsIn(LOG_LEVELS, { message: `level must be one of: ${LOG_LEVELS.join(', ')}` })
  level!: LogLevel;

  @IsDefined({ message: 'service is required' })
  @IsLogText({ maxLength: MAX_SERVICE_LENGTH })
  service!: string;

  @IsDefined({ message: 'message is required' })
  @IsLogText({ maxBytes: MAX_MESSAGE_BYTES })
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
