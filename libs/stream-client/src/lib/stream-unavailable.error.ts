/**
 * Redis could not serve the request for a reason that is about Redis, not about the request:
 * unreachable, hung (timeout), out of memory, still loading its data set. Callers map it to
 * "try again later" (HTTP 503, or a worker backing off); any other error is a bug or bad input.
 */
export class StreamUnavailableError extends Error {
  override readonly name = 'StreamUnavailableError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const CONNECTIVITY_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

// Messages ioredis itself produces when a command never reached Redis or never got an answer.
const CLIENT_SIDE_MESSAGES = [
  'Command timed out',
  "Stream isn't writeable",
  'Connection is closed',
  'Reached the max retries per request limit',
  'Socket timeout',
  // Cluster client: every retry of a command on a failed-over slot failed, or the slot map is unknown.
  'Too many Cluster redirections',
  "Cluster isn't ready",
  'Failed to refresh slots cache',
  'None of startup nodes is available',
  'Cluster is ended',
];

// Reply prefixes of states Redis recovers from by itself (memory freed, data loaded, failover done).
const TRANSIENT_REPLY_PREFIXES = [
  'OOM',
  'LOADING',
  'BUSY ',
  'MASTERDOWN',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'READONLY',
  'NOREPLICAS',
  // A cluster redirection that reached the caller (the command did not run): the slot map is moving.
  'MOVED ',
  'ASK ',
];

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  if (error instanceof StreamUnavailableError || error.name === 'MaxRetriesPerRequestError') {
    return true;
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTIVITY_CODES.has(code)) {
    return true;
  }
  const message = error.message ?? '';
  if (CLIENT_SIDE_MESSAGES.some((text) => message.startsWith(text))) {
    return true;
  }
  if (TRANSIENT_REPLY_PREFIXES.some((prefix) => message.startsWith(prefix))) {
    return true;
  }
  // A MULTI that Redis refused while queueing (typically OOM) fails as EXECABORT; judge it by its causes.
  const previous = (error as { previousErrors?: unknown }).previousErrors;
  return message.startsWith('EXECABORT') && Array.isArray(previous) && previous.some(isTransient);
}

/** Wraps connectivity/timeout/OOM/LOADING failures in StreamUnavailableError; returns other errors unchanged. */
export function toStreamError(error: unknown, operation: string): Error {
  if (error instanceof StreamUnavailableError) {
    return error;
  }
  if (isTransient(error)) {
    const reason = error instanceof Error ? error.message : String(error);
    return new StreamUnavailableError(`Redis unavailable during ${operation}: ${reason}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** The consumer group (or its stream) does not exist, e.g. after Redis restarted without persistence. */
export function isNoGroupError(error: unknown): boolean {
  return (
    error instanceof Error && (error.message.startsWith('NOGROUP') || error.message === 'ERR no such key')
  );
}
