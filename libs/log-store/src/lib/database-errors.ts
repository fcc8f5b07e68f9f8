/**
 * PostgreSQL SQLSTATE classes/codes that say "try again later" rather than "this data is bad".
 * 08: connection exception; 53: insufficient resources; 57: operator intervention (shutdown,
 * statement timeout); 40001/40P01: serialization failure / deadlock; 55P03: lock not available.
 */
const TRANSIENT_SQLSTATE = /^(08|53|57)|^(40001|40P01|55P03)$/;
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
const TRANSIENT_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i;
/**
 * The database role may not write: a missing GRANT (42501), or a writer role without BYPASSRLS, whose COPY
 * PostgreSQL refuses on a table with row-level security (0A000). The operator has to fix the roles
 * (docs/operations.md, "Database roles"); until then the batch is kept, never dead-lettered as if its
 * entries were bad.
 */
const PRIVILEGE_SQLSTATE = '42501';
const COPY_UNDER_RLS = /COPY FROM not supported with row-level security/i;

/**
 * True when an insert failed because the database was unreachable or busy: the batch should be
 * kept and retried. False means the statement itself was refused (a data error): retrying the same
 * rows cannot succeed, so the caller must isolate the offending entry instead.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  // Duck-typed rather than `instanceof Error`: socket errors may come from another realm (Jest's VM).
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, driverError } = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
  };
  if (driverError && driverError !== error) return isTransientDatabaseError(driverError);
  if (typeof code === 'string' && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NODE_CODES.has(code)))
    return true;
  if (code === PRIVILEGE_SQLSTATE) return true;
  return typeof message === 'string' && (TRANSIENT_MESSAGES.test(message) || COPY_UNDER_RLS.test(message));
}
