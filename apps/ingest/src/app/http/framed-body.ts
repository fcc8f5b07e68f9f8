import { BodyFrameWriter, type BodyFramePool, type FramedBody } from '@logpipe/log-schema';
import { errorCodes, type FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';

/**
 * Reads a (decoded) body as Fastify's own `parseAs: 'buffer'` reading does, with the same limit, the
 * same Content-Length checks and the same errors (so the error handler and the connection handling see
 * nothing new), but copies each chunk into a frame from `pool` as it arrives (log-schema's
 * BodyFrameWriter) instead of gathering them for Buffer.concat: a JSON array body is then queued from
 * that one copy (encodeSubmittedChunks writes the stream value around it) instead of from a second
 * one, in memory reused from request to request, and no chunk outlives its 'data' event.
 *
 * `payload` is what the preParsing hook returned: the request itself, or a gunzip stream that counts
 * the encoded bytes it read in `receivedEncodedLength`, which Fastify bounds and compares too.
 */
export function readBodyIntoFrame(
  request: FastifyRequest,
  payload: Readable,
  limit: number,
  pool: BodyFramePool,
  done: (error: Error | null, framed?: FramedBody) => void,
): void {
  const contentLength = Number(request.headers['content-length']);
  if (contentLength > limit) {
    done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    return;
  }
  const counted = payload as Readable & { receivedEncodedLength?: number };
  const writer = new BodyFrameWriter(expectedBodyBytes(request, payload, contentLength, limit), pool);
  let received = 0;
  const stop = () => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onEnd);
  };
  function onData(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    received += bytes.length;
    if (received > limit || (counted.receivedEncodedLength ?? 0) > limit) {
      stop();
      writer.discard();
      done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    writer.write(bytes);
  }
  function onEnd(error?: Error & { statusCode?: number }): void {
    stop();
    if (error != null) {
      writer.discard();
      if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
      done(error);
      return;
    }
    if (!Number.isNaN(contentLength) && (counted.receivedEncodedLength || received) !== contentLength) {
      writer.discard();
      done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
      return;
    }
    done(null, writer.finish());
  }
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onEnd);
  payload.resume();
}

/** What a gzip body decodes to, as a multiple of its encoded length, for its first frame: logs' text. */
const GZIP_RATIO_GUESS = 8;
/** The first frame of a body whose length is not known (chunked), or of a decoded body at most. */
const UNKNOWN_LENGTH_GUESS = 64 * 1024;
const DECODED_LENGTH_GUESS_MAX = 1024 * 1024;

/**
 * The first frame's size for a body: its Content-Length when it is the body (a longer or shorter one
 * is refused anyway), else a guess within the limit (BodyFrameWriter grows a frame that is too small).
 */
function expectedBodyBytes(
  request: FastifyRequest,
  payload: Readable,
  contentLength: number,
  limit: number,
): number {
  const decoded = payload !== request.raw;
  if (Number.isNaN(contentLength)) return Math.min(limit, UNKNOWN_LENGTH_GUESS);
  if (!decoded) return contentLength;
  return Math.min(limit, DECODED_LENGTH_GUESS_MAX, contentLength * GZIP_RATIO_GUESS);
}
