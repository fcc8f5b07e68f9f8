import {
  type Parsed,
  type QueryParameterError,
  QueryTimeoutError,
  QueryUnavailableError,
} from '@logpipe/log-query';
import { RequestError } from '../http/request-errors';
import { ServiceUnavailableError } from '../http/http-error.filter';

/** The parsed query, or a 400 that names every bad parameter. */
export function orBadRequest<T>(parsed: Parsed<T>): T {
  if (parsed.ok) return parsed.value;
  const errors: QueryParameterError[] = parsed.errors;
  const shown = errors
    .slice(0, 3)
    .map((e) => `${e.parameter}: ${e.message}`)
    .join('; ');
  throw new RequestError(
    400,
    `invalid query parameters: ${shown}${errors.length > 3 ? `; and ${errors.length - 3} more` : ''}`,
    { errors },
  );
}

/** Read failures as the client should see them: 503 with advice, never a 500 or a hung request. */
export function asHttpError(error: unknown, retryAfterSeconds: number): unknown {
  if (error instanceof QueryTimeoutError) {
    return new ServiceUnavailableError(
      `the query ran longer than ${error.timeoutMs} ms (QUERY_TIMEOUT_MS) and was cancelled; narrow it: a shorter from/to range, ` +
        'a service, a trace_id, or longer and rarer words in q',
      retryAfterSeconds,
    );
  }
  if (error instanceof QueryUnavailableError) {
    return new ServiceUnavailableError(
      'the log database (PostgreSQL) is unavailable; retry later',
      retryAfterSeconds,
    );
  }
  return error;
}
