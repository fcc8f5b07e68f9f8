// One Redis Stream field value per entry: a JSON array, positional to stay compact, versioned in its first
// element so the format can change while old entries are still in the stream.
//   version 2: [2, timestamp, receivedAt, level, service, message, attributes, traceId, spanId, eventId, tenant]
//   version 1: [1, timestamp, receivedAt, level, service, message, attributes, traceId, spanId, eventId]
// Version 1 was written before tenants existed; it still decodes (as the default tenant), so a stream
// written by an older ingest drains after an upgrade.
import { isPlainObject } from './json-attributes';
import {
  EVENT_ID_PATTERN,
  MAX_ATTRIBUTES_DEPTH,
  MAX_MESSAGE_BYTES,
  MAX_SERVICE_LENGTH,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  DEFAULT_TENANT,
  TENANT_PATTERN,
} from './log-entry.limits';
import { LogEntry } from './log-entry.types';
import { isLogLevel } from './log-level';
import { TextLimits, textProblem, unstorableTextProblem } from './storable-text';

export const LOG_ENTRY_CODEC_VERSION = 2;

/** Elements of an encoded entry, per version still accepted by decodeLogEntry. */
const ARITY: ReadonlyMap<unknown, number> = new Map([
  [1, 10],
  [2, 11],
]);
// Normalised forms (ingest lower-cases them), stricter than the submission patterns.
const STORED_TRACE_ID = /^[0-9a-f]{32}$/;
const STORED_SPAN_ID = /^[0-9a-f]{16}$/;

/** Thrown for a stream value that is not a decodable entry; the worker dead-letters it. */
export class LogEntryDecodeError extends Error {
  override readonly name = 'LogEntryDecodeError';

  constructor(readonly reason: string) {
    super(`cannot decode log entry: ${reason}`);
  }
}

/** A short rendering of a bad value for a reason string. */
function shown(value: unknown): string {
  const json = value === undefined ? 'nothing' : JSON.stringify(value);
  return json.length > 40 ? `${json.slice(0, 40)}…` : json;
}

export function encodeLogEntry(entry: LogEntry): string {
  return JSON.stringify([
    LOG_ENTRY_CODEC_VERSION,
    entry.timestamp,
    entry.receivedAt,
    entry.level,
    entry.service,
    entry.message,
    entry.attributes,
    entry.traceId,
    entry.spanId,
    entry.eventId,
    entry.tenant,
  ]);
}

function epochMs(value: unknown, name: string): number {
  if (
    !Number.isSafeInteger(value) ||
    (value as number) < MIN_TIMESTAMP_MS ||
    (value as number) > MAX_TIMESTAMP_MS
  ) {
    throw new LogEntryDecodeError(`${name} must be integer epoch milliseconds in range`);
  }
  return value as number;
}

function text(value: unknown, name: string, limits: TextLimits): string {
  const problem = textProblem(value, limits);
  if (problem !== null) {
    throw new LogEntryDecodeError(`${name} ${problem}`);
  }
  return value as string;
}

function matching(value: unknown, pattern: RegExp, name: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new LogEntryDecodeError(`${name} must match ${pattern}`);
  }
  return value;
}

function nullableMatching(value: unknown, pattern: RegExp, name: string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new LogEntryDecodeError(`${name} must be null or match ${pattern}`);
  }
  return value;
}

/**
 * Finds what PostgreSQL's jsonb would refuse (a NUL or a lone surrogate in a key or string), so one bad row
 * cannot fail a whole batch insert. The depth bound keeps a corrupt, deeply nested value from overflowing
 * the stack.
 */
function unstorableAttributesProblem(value: unknown, depth: number): string | null {
  if (typeof value === 'string') return unstorableTextProblem(value);
  if (typeof value !== 'object' || value === null) return null;
  if (depth > MAX_ATTRIBUTES_DEPTH) return `must not nest more than ${MAX_ATTRIBUTES_DEPTH} levels deep`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = unstorableAttributesProblem(item, depth + 1);
      if (problem !== null) return problem;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const problem = unstorableTextProblem(key) ?? unstorableAttributesProblem(item, depth + 1);
    if (problem !== null) return problem;
  }
  return null;
}

function attributes(value: unknown): Record<string, unknown> | null {
  if (value === null) return null;
  if (!isPlainObject(value)) {
    throw new LogEntryDecodeError('attributes must be null or a JSON object');
  }
  const problem = unstorableAttributesProblem(value, 1);
  if (problem !== null) {
    throw new LogEntryDecodeError(`attributes ${problem}`);
  }
  return value;
}

/**
 * Reads a stream value written by encodeLogEntry, or throws LogEntryDecodeError saying what is wrong.
 * It does not repeat ingest's validation; it re-checks only what the database insert relies on: types,
 * level, id forms, timestamp range, text the columns accept (no NUL, no lone surrogate, service length,
 * message size) and a nesting bound on attributes.
 */
export function decodeLogEntry(raw: string | null | undefined): LogEntry {
  if (typeof raw !== 'string') {
    throw new LogEntryDecodeError(`expected a string, got ${raw === null ? 'null' : typeof raw}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new LogEntryDecodeError('not valid JSON');
  }
  if (!Array.isArray(parsed)) {
    throw new LogEntryDecodeError('expected a JSON array');
  }
  const version = parsed[0];
  const arity = ARITY.get(version);
  if (arity === undefined) {
    throw new LogEntryDecodeError(
      `unsupported codec version ${shown(version)} (expected ${[...ARITY.keys()].join(' or ')})`,
    );
  }
  if (parsed.length !== arity) {
    throw new LogEntryDecodeError(`expected ${arity} elements for version ${version}, got ${parsed.length}`);
  }
  const [, timestamp, receivedAt, level, service, message, attrs, traceId, spanId, eventId, tenant] =
    parsed as unknown[];
  if (!isLogLevel(level)) {
    throw new LogEntryDecodeError(`level must be one of the log levels, got ${shown(level)}`);
  }
  return {
    timestamp: epochMs(timestamp, 'timestamp'),
    receivedAt: epochMs(receivedAt, 'receivedAt'),
    level,
    service: text(service, 'service', { maxLength: MAX_SERVICE_LENGTH }),
    message: text(message, 'message', { maxBytes: MAX_MESSAGE_BYTES }),
    attributes: attributes(attrs),
    traceId: nullableMatching(traceId, STORED_TRACE_ID, 'traceId'),
    spanId: nullableMatching(spanId, STORED_SPAN_ID, 'spanId'),
    eventId: nullableMatching(eventId, EVENT_ID_PATTERN, 'eventId'),
    tenant: version === 1 ? DEFAULT_TENANT : matching(tenant, TENANT_PATTERN, 'tenant'),
  };
}
