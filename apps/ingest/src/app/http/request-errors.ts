/** An HTTP error raised below Nest (body parsing, decompression): carries the status for the error handler. */
export class RequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Sent as Retry-After (429: over a quota; 503: too many bodies in flight). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}
