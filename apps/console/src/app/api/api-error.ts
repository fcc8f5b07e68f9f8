// Failures of the read API in words a person can act on.

export type ErrorKind =
  | 'unauthorized'
  | 'timeout'
  | 'busy'
  | 'rate'
  | 'bad-request'
  | 'offline'
  | 'unreachable'
  | 'server';

export class ApiError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly status: number,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The error for an HTTP answer that is not 2xx, from its status and the server's JSON message. */
export function errorForResponse(status: number, serverMessage: string, retryAfter: string | null): ApiError {
  const retry = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  if (status === 401)
    return new ApiError('unauthorized', 'Your API key was not accepted. Sign in again.', status);
  if (status === 400)
    return new ApiError('bad-request', `The server refused this search: ${serverMessage}`, status);
  if (status === 429 && /TAIL_MAX_PER_(TENANT|IP)/.test(serverMessage))
    return new ApiError(
      'rate',
      `Too many live tails are open ${/TENANT/.test(serverMessage) ? 'for your API key' : 'from your address'}; close one (another tab?) or wait ${retry ?? 5} s.`,
      status,
      retry,
    );
  if (status === 429)
    return new ApiError(
      'rate',
      `Too many requests from this browser; wait ${retry ?? 1} s and try again.`,
      status,
      retry,
    );
  if (status === 503 && /QUERY_TIMEOUT_MS|narrow/i.test(serverMessage))
    return new ApiError(
      'timeout',
      'The search took too long and was stopped. Narrow the time range, pick a service, or search for a longer, rarer word.',
      status,
      retry,
    );
  if (status === 503 && /PostgreSQL|database/i.test(serverMessage))
    return new ApiError(
      'busy',
      'The log database is not answering right now; try again in a moment.',
      status,
      retry,
    );
  if (status === 503 && /TAIL_MAX_CLIENTS|tail/i.test(serverMessage))
    return new ApiError(
      'busy',
      'Too many live tails are open on the server; try again later.',
      status,
      retry,
    );
  if (status === 503 || status === 502 || status === 504)
    return new ApiError(
      'busy',
      `The server is busy (backlog or restarting); retry in ${retry ?? 2} s.${serverMessage ? ` (${serverMessage})` : ''}`,
      status,
      retry,
    );
  return new ApiError('server', `The server answered ${status}: ${serverMessage || 'no details'}`, status);
}

/** The error for a fetch that never got an answer. */
export function errorForNetwork(online: boolean): ApiError {
  return online
    ? new ApiError(
        'unreachable',
        'Cannot reach the Logpipe server. Check that it is running; retrying helps once it is.',
        0,
      )
    : new ApiError('offline', 'You are offline. Results will load again when the connection is back.', 0);
}
