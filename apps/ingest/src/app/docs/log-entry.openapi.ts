import {
  LogEntryDto,
  MAX_ATTRIBUTES_BYTES,
  MAX_ATTRIBUTES_DEPTH,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
} from '@logpipe/log-schema';
import { schemaOfDto, type RuleSchema, type SchemaObject } from './dto-schema';

export const LOG_ENTRY_SCHEMA_NAME = 'LogEntry';

// log-schema's own rules (log-entry.constraints.ts), by their constraint names.
const LOG_SCHEMA_RULES: Record<string, RuleSchema> = {
  text: ([limits]) => {
    const { maxLength, maxBytes } = (limits ?? {}) as { maxLength?: number; maxBytes?: number };
    return {
      type: 'string',
      minLength: 1,
      ...(maxLength !== undefined ? { maxLength } : {}),
      ...(maxBytes !== undefined ? { 'x-max-utf8-bytes': maxBytes } : {}),
    };
  },
  timestamp: () => ({
    oneOf: [
      { type: 'string', format: 'date-time', description: 'ISO-8601 with a zone (Z or ±hh:mm)' },
      {
        type: 'integer',
        minimum: MIN_TIMESTAMP_MS,
        maximum: MAX_TIMESTAMP_MS,
        description: 'epoch milliseconds',
      },
    ],
  }),
  attributes: () => ({
    type: 'object',
    additionalProperties: true,
    'x-max-json-bytes': MAX_ATTRIBUTES_BYTES,
    'x-max-depth': MAX_ATTRIBUTES_DEPTH,
  }),
};

const DESCRIPTIONS: Record<string, string> = {
  timestamp: 'When the event happened; default: time of receipt. Stored to the millisecond.',
  level: 'Severity.',
  service: 'The service that logged it.',
  message: 'Non-empty, at most 64 KiB of UTF-8; no U+0000, no unpaired surrogates.',
  attributes: `A JSON object: at most ${MAX_ATTRIBUTES_BYTES} bytes serialised, ${MAX_ATTRIBUTES_DEPTH} levels deep.`,
  trace_id: '32 hexadecimal characters (stored lower-case).',
  span_id: '16 hexadecimal characters (stored lower-case).',
  id: 'Your event id: send one and retries are stored once (per tenant).',
};

/** The submitted log entry, generated from LogEntryDto's validation rules. */
export function logEntrySchema(): SchemaObject {
  return schemaOfDto(LogEntryDto, LOG_SCHEMA_RULES, DESCRIPTIONS);
}
