import type { LogEntry, LogLevel } from '@logpipe/log-schema';
import { copyField } from './copy-text';
import { lastIsoTimestamp } from './iso-timestamp';
import type { StoredLogEntry } from './stored-log-entry';

/*
 * One row of `logs` as the COPY text the writer sends, minus its write lane (issue 14). The worker
 * encodes each entry as soon as it has decoded it from the stream and keeps only this string until the
 * batch is committed: one flat string per row instead of the entry object, its attributes object and its
 * strings, which lived through the COPY round trip and were promoted to the old generation with every
 * read (the worker's memory sawtooth and much of its garbage collection, BENCHMARKS.md). The rare paths
 * that need the fields again (a batch that hits a unique index, a missing partition, a row PostgreSQL
 * refuses) read them back with encodedRowFields / decodeLogRow.
 *
 * The columns are ENCODED_ROW_COLUMNS, the client event id first, so a batch finds its rows with event
 * ids (the claim in log_event_ids) by looking at the first field alone. The writer adds the lane, the last
 * column, when it sends the batch.
 */
export const ENCODED_ROW_COLUMNS = [
  'event_id',
  'stream_id',
  'tenant',
  'ts',
  'received_at',
  'level',
  'service',
  'message',
  'attributes',
  'trace_id',
  'span_id',
] as const;

/** Field positions in an encoded row. */
export const ROW_FIELD = Object.fromEntries(ENCODED_ROW_COLUMNS.map((name, i) => [name, i])) as {
  readonly [K in (typeof ENCODED_ROW_COLUMNS)[number]]: number;
};

/** A row of `logs` as COPY text (tab-separated fields in ENCODED_ROW_COLUMNS order, no newline). */
export type EncodedLogRow = string & { readonly __encodedLogRow: unique symbol };

const NULL_FIELD = '\\N';
const NO_EVENT_ID = `${NULL_FIELD}\t`;

// One per column: a chunk's rows share their receipt time, and often their event time, row after row.
const eventTimeText = lastIsoTimestamp();
const receiptTimeText = lastIsoTimestamp();

/**
 * The row of `entry` stored under `streamId`. Every text field is escaped, the ones a validated entry
 * holds in a fixed alphabet too: the writer's callers include tests and tools that pass any text. Array#join
 * writes one flat string, not a chain of concatenations.
 */
export function encodeLogRow(entry: LogEntry, streamId: string): EncodedLogRow {
  return [
    copyField(entry.eventId),
    copyField(streamId),
    copyField(entry.tenant),
    eventTimeText(entry.timestamp),
    receiptTimeText(entry.receivedAt),
    copyField(entry.level),
    copyField(entry.service),
    copyField(entry.message),
    entry.attributes === null ? NULL_FIELD : copyField(JSON.stringify(entry.attributes)),
    copyField(entry.traceId),
    copyField(entry.spanId),
  ].join('\t') as EncodedLogRow;
}

/** Whether the row carries a client event id (without reading the other fields). */
export function encodedRowHasEventId(row: EncodedLogRow): boolean {
  return !row.startsWith(NO_EVENT_ID);
}

/** One field of the row, unescaped (NULL as null), reading only the fields before it. */
export function encodedRowField(row: EncodedLogRow, column: keyof typeof ROW_FIELD): string | null {
  return encodedRowLeadingFields(row, ROW_FIELD[column] + 1)[ROW_FIELD[column]] ?? null;
}

/** The row's stream position. */
export function encodedRowStreamId(row: EncodedLogRow): string {
  return encodedRowField(row, 'stream_id') as string;
}

const UNESCAPE = /\\([\s\S])/g;
const UNESCAPED: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

function unescapeField(field: string): string | null {
  if (field === NULL_FIELD) return null;
  return field.includes('\\') ? field.replace(UNESCAPE, (_, c: string) => UNESCAPED[c] ?? c) : field;
}

/**
 * The row's first `count` fields, unescaped (NULL as null), without splitting the rest: the columns
 * begin with what an event id's claim needs (event_id, stream_id, tenant, ts).
 */
export function encodedRowLeadingFields(row: EncodedLogRow, count: number): (string | null)[] {
  const fields: (string | null)[] = [];
  let start = 0;
  while (fields.length < count) {
    const end = row.indexOf('\t', start);
    fields.push(unescapeField(end === -1 ? row.slice(start) : row.slice(start, end)));
    if (end === -1) break;
    start = end + 1;
  }
  return fields;
}

/** The row's fields as text, NULL as null: what the unnest INSERT binds and decodeLogRow reads. */
export function encodedRowFields(row: EncodedLogRow): (string | null)[] {
  return row.split('\t').map(unescapeField);
}

/**
 * The entry a row was encoded from, with its stream position: the inverse of encodeLogRow (only of it: the
 * unescaping covers what copyField writes, not every escape COPY text allows).
 */
export function decodeLogRow(row: EncodedLogRow): StoredLogEntry {
  const f = encodedRowFields(row);
  const attributes = f[ROW_FIELD.attributes];
  return {
    timestamp: Date.parse(f[ROW_FIELD.ts] as string),
    receivedAt: Date.parse(f[ROW_FIELD.received_at] as string),
    level: f[ROW_FIELD.level] as LogLevel,
    service: f[ROW_FIELD.service] as string,
    message: f[ROW_FIELD.message] as string,
    attributes: attributes === null ? null : (JSON.parse(attributes) as Record<string, unknown>),
    traceId: f[ROW_FIELD.trace_id],
    spanId: f[ROW_FIELD.span_id],
    eventId: f[ROW_FIELD.event_id],
    tenant: f[ROW_FIELD.tenant] as string,
    streamId: f[ROW_FIELD.stream_id] as string,
  };
}
