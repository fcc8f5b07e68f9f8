// One Redis Stream field value: a JSON array, positional to stay compact, versioned in its first element
// so the format can change while old entries are still in the stream.
//   version 3 (a chunk of entries): [3, [timestamp, receivedAt, level, service, message, attributes,
//                                        traceId, spanId, eventId, tenant], [...], ...]
//   version 2 (one entry): [2, timestamp, receivedAt, level, service, message, attributes, traceId, spanId, eventId, tenant]
//   version 1 (one entry): [1, timestamp, receivedAt, level, service, message, attributes, traceId, spanId, eventId]
//   version 4 (a chunk of entries as the client sent them): [4, receivedAt, tenant, [entry, entry, ...]]
//     where each entry is the submitted JSON object, byte for byte as it came in the request body
// Version 1 was written before tenants existed; it still decodes (as the default tenant), so a stream
// written by an older ingest drains after an upgrade. Version 3 carries many entries in one stream entry
// (issue 14: Redis and the worker then pay per chunk, not per entry); entry i of a chunk is stored under
// the position `<stream id>#<i>` (chunkEntryId), so a redelivered chunk is still stored once. Version 4
// is a chunk too, written for POST /api/logs: ingest validates the entries and then queues the request's
// own JSON text behind a header of receipt time and tenant instead of encoding every entry again (that
// encoding was a sixth of ingest's CPU on 1,000-entry requests); the worker applies the same rules and
// normalisation (log-entry.validation.ts) when it reads the value, so the rows are those of version 3.
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
import { submittedEntryOf } from './log-entry.validation';
import { TextLimits, textProblem, unstorableTextProblem } from './storable-text';

export const LOG_ENTRY_CODEC_VERSION = 2;
export const LOG_CHUNK_CODEC_VERSION = 3;
export const LOG_SUBMITTED_CHUNK_CODEC_VERSION = 4;
/** Elements of a version 4 value: the version, receivedAt, tenant and the array of entries. */
const SUBMITTED_CHUNK_ARITY = 4;
/** Elements of one entry inside a version 3 chunk (version 2 without its version element). */
const CHUNK_ENTRY_ARITY = 10;

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

/** One entry as a version 2 value: the version element, then the fields a chunk entry carries. */
export function encodeLogEntry(entry: LogEntry): string {
  return singleEntryValue(encodeChunkEntry(entry));
}

/** The version 2 value of an entry already encoded with encodeChunkEntry (the same fields, versioned). */
export function singleEntryValue(encodedChunkEntry: string): string {
  return `[${LOG_ENTRY_CODEC_VERSION},${encodedChunkEntry.slice(1)}`;
}

/** One entry's fields in the order a chunk (and, after its version element, a version 2 value) holds them. */
function chunkEntryFields(entry: LogEntry): unknown[] {
  return [
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
  ];
}

/** One entry of a version 3 chunk: its JSON text without the version element. */
export function encodeChunkEntry(entry: LogEntry): string {
  return JSON.stringify(chunkEntryFields(entry));
}

/**
 * A chunk (version 3) from entries already encoded with encodeChunkEntry: the caller can measure them to
 * cut chunks by size without encoding twice.
 */
export function encodeLogChunkOfEncoded(encodedEntries: readonly string[]): string {
  return `[${LOG_CHUNK_CODEC_VERSION},${encodedEntries.join(',')}]`;
}

/**
 * A chunk (version 3) of `entries[start]` up to, not including, `entries[end]` (all of them by default;
 * at least one). One JSON.stringify call writes the whole value: the same text as encodeLogChunkOfEncoded
 * of each entry's encodeChunkEntry, without a string per entry and the copy that joins them (issue 14:
 * those were a third of ingest's CPU per entry on 1,000-entry requests).
 */
export function encodeLogChunk(entries: readonly LogEntry[], start = 0, end = entries.length): string {
  const value: unknown[] = [LOG_CHUNK_CODEC_VERSION];
  for (let i = start; i < end; i++) value.push(chunkEntryFields(entries[i]));
  return JSON.stringify(value);
}

/**
 * Entries per JSON.stringify call in encodeLogChunkPieces: for entries of the usual size (~300 bytes) a
 * piece is ~20 KB, far below V8's large-object size (128 KiB), so it is allocated and freed in the young
 * generation instead of on pages of its own.
 */
export const CHUNK_PIECE_ENTRIES = 64;

/**
 * The text of encodeLogChunk(entries, start, end) in pieces: each holds up to CHUNK_PIECE_ENTRIES
 * consecutive entries' fields, `[...],[...]` (one JSON array's elements). The chunk is `[3,`, then the
 * pieces joined by `,`, then `]` (stream-chunks' encodeLogChunks writes it).
 */
export function encodeLogChunkPieces(entries: readonly LogEntry[], start: number, end: number): string[] {
  const pieces: string[] = [];
  for (let from = start; from < end; from += CHUNK_PIECE_ENTRIES) {
    const to = Math.min(end, from + CHUNK_PIECE_ENTRIES);
    const fields: unknown[] = [];
    for (let i = from; i < to; i++) fields.push(chunkEntryFields(entries[i]));
    pieces.push(JSON.stringify(fields).slice(1, -1));
  }
  return pieces;
}

/**
 * The text of a version 4 value before its entries: `[4,<receivedAt>,"<tenant>",`. The entries' JSON
 * array follows, then `]`.
 */
export function submittedChunkOpening(receivedAtMs: number, tenant: string): string {
  return `[${LOG_SUBMITTED_CHUNK_CODEC_VERSION},${receivedAtMs},${JSON.stringify(tenant)},`;
}

/** The stored position of entry `index` of the chunk at stream id `messageId`. */
export function chunkEntryId(messageId: string, index: number): string {
  return `${messageId}#${index}`;
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

function parseValue(raw: string | null | undefined): unknown[] {
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
  return parsed;
}

/**
 * The entry whose fields start at `fields[offset]` (timestamp first); `version` 1 has no tenant. It does
 * not repeat ingest's validation; it re-checks only what the database insert relies on: types, level, id
 * forms, timestamp range, text the columns accept (no NUL, no lone surrogate, service length, message
 * size) and a nesting bound on attributes.
 */
function entryOf(fields: readonly unknown[], offset: number, version: number): LogEntry {
  const level = fields[offset + 2];
  if (!isLogLevel(level)) {
    throw new LogEntryDecodeError(`level must be one of the log levels, got ${shown(level)}`);
  }
  return {
    timestamp: epochMs(fields[offset], 'timestamp'),
    receivedAt: epochMs(fields[offset + 1], 'receivedAt'),
    level,
    service: text(fields[offset + 3], 'service', { maxLength: MAX_SERVICE_LENGTH }),
    message: text(fields[offset + 4], 'message', { maxBytes: MAX_MESSAGE_BYTES }),
    attributes: attributes(fields[offset + 5]),
    traceId: nullableMatching(fields[offset + 6], STORED_TRACE_ID, 'traceId'),
    spanId: nullableMatching(fields[offset + 7], STORED_SPAN_ID, 'spanId'),
    eventId: nullableMatching(fields[offset + 8], EVENT_ID_PATTERN, 'eventId'),
    tenant: version === 1 ? DEFAULT_TENANT : matching(fields[offset + 9], TENANT_PATTERN, 'tenant'),
  };
}

/**
 * Reads a single-entry stream value (version 1 or 2, written by encodeLogEntry), or throws
 * LogEntryDecodeError saying what is wrong. A chunk (version 3) is refused here: use decodeStreamValue.
 */
export function decodeLogEntry(raw: string | null | undefined): LogEntry {
  return singleEntryOf(parseValue(raw), [...ARITY.keys()].join(' or '));
}

/** A parsed version 1 or 2 value as its entry; `expected` names the versions the caller accepts. */
function singleEntryOf(parsed: readonly unknown[], expected: string): LogEntry {
  const version = parsed[0];
  const arity = ARITY.get(version);
  if (arity === undefined) {
    throw new LogEntryDecodeError(`unsupported codec version ${shown(version)} (expected ${expected})`);
  }
  if (parsed.length !== arity) {
    throw new LogEntryDecodeError(`expected ${arity} elements for version ${version}, got ${parsed.length}`);
  }
  return entryOf(parsed, 1, version as number);
}

/** One position of a decoded stream value: the entry, or why that entry alone cannot be stored. */
export type DecodedSlot =
  | { ok: true; entry: LogEntry }
  | {
      ok: false;
      error: LogEntryDecodeError;
      /** the entry's own JSON text, for its dead letter */ raw: string;
    };

/** A decoded stream value: one slot for version 1 or 2, one per entry (in order) for a chunk. */
export interface DecodedStreamValue {
  chunk: boolean;
  slots: DecodedSlot[];
}

/**
 * Reads any stream value ingest writes (versions 1, 2 and 3). A value that is not a decodable array of
 * a known version throws LogEntryDecodeError (the whole stream entry is poison); inside a chunk, each
 * entry is decoded on its own, so one bad entry is reported in its slot and its neighbours still decode.
 */
export function decodeStreamValue(raw: string | null | undefined): DecodedStreamValue {
  const parsed = parseValue(raw);
  if (parsed[0] === LOG_SUBMITTED_CHUNK_CODEC_VERSION) return decodeSubmittedChunk(parsed);
  if (parsed[0] !== LOG_CHUNK_CODEC_VERSION) {
    const versions = [...ARITY.keys(), LOG_CHUNK_CODEC_VERSION, LOG_SUBMITTED_CHUNK_CODEC_VERSION];
    const entry = singleEntryOf(parsed, versions.join(', '));
    return { chunk: false, slots: [{ ok: true, entry }] };
  }
  if (parsed.length < 2) throw new LogEntryDecodeError('a chunk must hold at least one entry');
  const slots: DecodedSlot[] = [];
  for (let i = 1; i < parsed.length; i++) {
    const fields = parsed[i];
    try {
      if (!Array.isArray(fields)) throw new LogEntryDecodeError('a chunk entry must be a JSON array');
      if (fields.length !== CHUNK_ENTRY_ARITY) {
        throw new LogEntryDecodeError(
          `expected ${CHUNK_ENTRY_ARITY} elements for a chunk entry, got ${fields.length}`,
        );
      }
      slots.push({ ok: true, entry: entryOf(fields, 0, LOG_CHUNK_CODEC_VERSION) });
    } catch (error) {
      if (!(error instanceof LogEntryDecodeError)) throw error;
      slots.push({ ok: false, error, raw: JSON.stringify(fields) ?? 'null' });
    }
  }
  return { chunk: true, slots };
}

/**
 * A version 4 value: its header is checked as a whole (a bad one makes the value poison), then each
 * submitted entry is validated and normalised as ingest does at receipt, against the value's receipt time
 * and tenant; one that fails is reported in its slot with the rule it broke.
 */
function decodeSubmittedChunk(parsed: readonly unknown[]): DecodedStreamValue {
  if (parsed.length !== SUBMITTED_CHUNK_ARITY) {
    throw new LogEntryDecodeError(
      `expected ${SUBMITTED_CHUNK_ARITY} elements for version ${LOG_SUBMITTED_CHUNK_CODEC_VERSION}, got ${parsed.length}`,
    );
  }
  const received = {
    receivedAtMs: epochMs(parsed[1], 'receivedAt'),
    tenant: matching(parsed[2], TENANT_PATTERN, 'tenant'),
  };
  const entries = parsed[3];
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new LogEntryDecodeError('a chunk must hold a non-empty array of entries');
  }
  const slots: DecodedSlot[] = [];
  for (const input of entries) {
    const checked = submittedEntryOf(input, received);
    if (!Array.isArray(checked)) {
      slots.push({ ok: true, entry: checked });
      continue;
    }
    const [first] = checked;
    const error = new LogEntryDecodeError(`${first.field}: ${first.message}`);
    slots.push({ ok: false, error, raw: JSON.stringify(input) ?? 'null' });
  }
  return { chunk: true, slots };
}
