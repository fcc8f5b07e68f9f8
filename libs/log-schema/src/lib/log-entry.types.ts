import { LogLevel } from './log-level';

/** A validated, normalised entry: what goes into the stream and the database. */
export interface LogEntry {
  /** Event time in epoch milliseconds (sub-millisecond digits of an ISO timestamp are truncated). */
  timestamp: number;
  /** When ingest received the entry, epoch milliseconds; also the timestamp when the client sent none. */
  receivedAt: number;
  level: LogLevel;
  service: string;
  message: string;
  attributes: Record<string, unknown> | null;
  /** 32 lower-case hex characters. */
  traceId: string | null;
  /** 16 lower-case hex characters. */
  spanId: string | null;
  /** The client's `id`, which makes a retried submission recognisable as the same event. */
  eventId: string | null;
  /** Whose entry this is: set from the API key that submitted it, never from the body. */
  tenant: string;
}

/** What ingest knows about a submission besides its body. */
export interface IngestContext {
  /** When ingest received the submission, epoch milliseconds. */
  receivedAtMs: number;
  /** The tenant of the API key that sent it. */
  tenant: string;
  /** Bounds on the event time relative to receipt; absent: any representable time is accepted. */
  timeLimits?: EntryTimeLimits;
}

/**
 * How far the event time of an entry may lie from its receipt time (as Loki's reject_old_samples_max_age
 * and creation_grace_period). 0 switches a bound off.
 */
export interface EntryTimeLimits {
  /** Oldest accepted event time, in milliseconds before receipt (ENTRY_MAX_AGE). */
  maxAgeMs: number;
  /** Latest accepted event time, in milliseconds after receipt (ENTRY_MAX_FUTURE). */
  maxFutureMs: number;
}

export interface LogEntryFieldError {
  /** Dotted path of the offending field, e.g. "level", "attributes", or "(root)" for the entry itself. */
  field: string;
  message: string;
}

export interface LogBatchFieldError extends LogEntryFieldError {
  /** Position of the entry in the submitted batch. */
  index: number;
}

export type LogEntryValidation = { ok: true; entry: LogEntry } | { ok: false; errors: LogEntryFieldError[] };

export type LogBatchValidation =
  | { ok: true; entries: LogEntry[] }
  | { ok: false; errors: LogBatchFieldError[] };

/** Each input validated on its own (partial acceptance): the valid entries, and which inputs were refused. */
export interface LogEntriesValidation {
  entries: LogEntry[];
  rejected: { index: number; errors: LogEntryFieldError[] }[];
}
