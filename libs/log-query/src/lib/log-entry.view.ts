import type { LogEntry, LogLevel } from '@logpipe/log-schema';

/**
 * An entry as the read API returns it: the submitted fields under their submitted names (so what a
 * client POSTs is what it reads back), plus `received_at` and the `stream_id` it travelled under.
 */
export interface LogEntryView {
  timestamp: string;
  received_at: string;
  level: LogLevel;
  service: string;
  message: string;
  attributes: Record<string, unknown> | null;
  trace_id: string | null;
  span_id: string | null;
  /** The client's own event id, or null. */
  id: string | null;
  stream_id: string;
}

/** A row of `logs` as node-postgres returns it. */
export interface LogRow {
  id: string;
  ts: Date;
  ts_key: string;
  received_at: Date;
  level: LogLevel;
  service: string;
  message: string;
  attributes: Record<string, unknown> | null;
  trace_id: string | null;
  span_id: string | null;
  event_id: string | null;
  stream_id: string;
}

export function viewOfRow(row: LogRow): LogEntryView {
  return {
    timestamp: row.ts.toISOString(),
    received_at: row.received_at.toISOString(),
    level: row.level,
    service: row.service,
    message: row.message,
    attributes: row.attributes,
    trace_id: row.trace_id,
    span_id: row.span_id,
    id: row.event_id,
    stream_id: row.stream_id,
  };
}

/** The same shape for an entry read from the stream (the live tail), before the worker stored it. */
export function viewOfEntry(entry: LogEntry, streamId: string): LogEntryView {
  return {
    timestamp: new Date(entry.timestamp).toISOString(),
    received_at: new Date(entry.receivedAt).toISOString(),
    level: entry.level,
    service: entry.service,
    message: entry.message,
    attributes: entry.attributes,
    trace_id: entry.traceId,
    span_id: entry.spanId,
    id: entry.eventId,
    stream_id: streamId,
  };
}
