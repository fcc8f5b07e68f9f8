/** The query ran into the statement timeout: the caller should narrow it (answered as 503). */
export class QueryTimeoutError extends Error {
  override readonly name = 'QueryTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`the query ran longer than ${timeoutMs} ms and was cancelled`);
  }
}

/** PostgreSQL could not be reached or refused the connection (answered as 503). */
export class QueryUnavailableError extends Error {
  override readonly name = 'QueryUnavailableError';

  constructor(readonly reason: string) {
    super(`the log database is unavailable: ${reason}`);
  }
}

// 57014: query_canceled, which is what statement_timeout raises.
const STATEMENT_TIMEOUT = '57014';
// Connection exceptions, insufficient resources, operator intervention (shutdown), socket errors, and
// 40001: a read is READ ONLY at READ COMMITTED, so it never fails serialization on a primary; on a read
// replica 40001 is "canceling statement due to conflict with recovery" (replay had to remove rows the
// query still needed, past max_standby_streaming_delay): the same read a moment later succeeds.
const UNAVAILABLE = /^(08|53|57P|40001$)/;
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Cannot use a pool after calling end/i;

/** Turns a driver error into one of the errors above; anything else (a bug) is passed through. */
export function classifyQueryError(error: unknown, timeoutMs: number): unknown {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === STATEMENT_TIMEOUT || (typeof message === 'string' && /Query read timeout/.test(message))) {
    return new QueryTimeoutError(timeoutMs);
  }
  if (typeof code === 'string' && (UNAVAILABLE.test(code) || UNAVAILABLE_NODE_CODES.has(code))) {
    return new QueryUnavailableError(typeof message === 'string' ? message : code);
  }
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message))
    return new QueryUnavailableError(message);
  return error;
}
