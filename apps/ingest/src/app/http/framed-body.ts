import {
  BodyFrameWriter,
  FRAME_ROOM_AFTER,
  FRAME_ROOM_BEFORE,
  type BodyFramePool,
  type FramedBody,
} from '@logpipe/log-schema';
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
/** A frame's room around its body: a first frame of a guessed size is then exactly a power of two. */
const ROOM = FRAME_ROOM_BEFORE + FRAME_ROOM_AFTER;
/** The first frame of a body whose length is not known (chunked). */
const UNKNOWN_LENGTH_GUESS = 64 * 1024 - ROOM;
/**
 * The largest first frame: a body announced larger (up to MAX_BODY_BYTES) gets its frames as its bytes
 * arrive, not all of them before the first one has.
 */
const FIRST_FRAME_MAX = 1024 * 1024 - ROOM;

/**
 * The first frame's size for a body: its Content-Length (a longer or shorter body is refused anyway), or
 * for a gzip body 8 times it, at most FIRST_FRAME_MAX; BodyFrameWriter doubles a frame that is too small.
 */
function expectedBodyBytes(
  request: FastifyRequest,
  payload: Readable,
  contentLength: number,
  limit: number,
): number {
  if (Number.isNaN(contentLength)) return Math.min(limit, UNKNOWN_LENGTH_GUESS);
  const decoded = payload !== request.raw;
  return Math.min(limit, FIRST_FRAME_MAX, decoded ? contentLength * GZIP_RATIO_GUESS : contentLength);
}
