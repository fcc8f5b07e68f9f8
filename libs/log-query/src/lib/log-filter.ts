import type { LogLevel } from '@logpipe/log-schema';

/** `attr.<path>=<value>`: the attribute at `path` equals one of `candidates` (JSON values). */
export interface AttributeFilter {
  /** Object keys from the top of `attributes` down, e.g. ['order', 'id'] for `attr.order.id`. */
  path: string[];
  /**
   * The value as a string, and also as the JSON number, boolean or null it spells, if it spells one:
   * `attr.order_id=42` matches both 42 and "42", since a client cannot say which one it means in a URL.
   */
  candidates: (string | number | boolean | null)[];
}

/** The filters shared by the query API and the live tail; every one that is set must match. */
export interface LogFilter {
  /** Any of these services. */
  services?: string[];
  /** This level or a more severe one. */
  minLevel?: LogLevel;
  /** Event time (`ts`) at or after, epoch milliseconds. */
  fromMs?: number;
  /** Event time before (exclusive), epoch milliseconds. */
  toMs?: number;
  /** Every word occurs in the message, case-insensitively, as a substring. */
  words?: string[];
  /** Lower-case, 32 hex characters. */
  traceId?: string;
  attributes: AttributeFilter[];
}

/** Where the previous page ended: the last row's (ts, id), in keyset order. */
export interface LogCursor {
  /** `ts` in UTC to the microsecond, as PostgreSQL printed it: `2026-11-26T10:00:00.123000Z`. */
  ts: string;
  /** The row id, a bigint as a decimal string. */
  id: string;
}

/** One page of GET /api/logs: filters, page size and where to continue. */
export interface LogSearch extends LogFilter {
  limit: number;
  cursor?: LogCursor;
}
