import {
  BodyFrameWriter,
  firstFrameBodyBytes,
  type BodyFramePool,
  type FramedBody,
} from '@logpipe/log-schema';
import { errorCodes } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

/** A request body to read: the request's headers, and its bytes as they arrive. */
export interface BodyToRead {
  headers: IncomingHttpHeaders;
  /**
   * The request itself, or a gunzip stream over it (log-schema's GunzippedPayload) that counts the
   * encoded bytes it read in `receivedEncodedLength`, which is bounded and compared as well.
   */
  payload: Readable;
  /** Whether `payload` decodes the request's bytes (gzip) rather than being the request. */
  decoded: boolean;
}

/**
 * Reads a (decoded) body as Fastify's own `parseAs: 'buffer'` reading does, with the same limit, the
 * same Content-Length checks and the same errors (so the error handler and the connection handling see
 * nothing new), but copies each chunk into a frame from `pool` as it arrives (log-schema's
 * BodyFrameWriter) instead of gathering them for Buffer.concat: a JSON array body is then queued from
 * that one copy (encodeSubmittedChunks writes the stream value around it) instead of from a second
 * one, in memory reused from request to request, and no chunk outlives its 'data' event.
 *
 * Fastify's body parsers pass what the preParsing hook returned; the direct log routes, the request or
 * its GunzippedPayload.
 */
export function readBodyIntoFrame(
  { headers, payload, decoded }: BodyToRead,
  limit: number,
  pool: BodyFramePool,
  done: (error: Error | null, framed?: FramedBody) => void,
): void {
  const contentLength = Number(headers['content-length']);
  if (contentLength > limit) {
    done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    return;
  }
  const counted = payload as Readable & { receivedEncodedLength?: number };
  const writer = new BodyFrameWriter(firstFrameBodyBytes(contentLength, decoded, limit), pool);
  // Once `done` has been called the listeners ignore what follows (the rest of a body too large, an
  // 'error' after 'end') rather than being removed: three removeListener calls per request cost more
  // than the flag (issue 14's floor), and a late 'error' still finds a listener.
  let settled = false;
  function onData(chunk: Buffer | string): void {
    if (settled) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (writer.length + bytes.length > limit || (counted.receivedEncodedLength ?? 0) > limit) {
      settled = true;
      writer.discard();
      done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    writer.write(bytes);
  }
  function onEnd(error?: Error & { statusCode?: number }): void {
    if (settled) return;
    settled = true;
    if (error != null) {
      writer.discard();
      if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
      done(error);
      return;
    }
    if (!Number.isNaN(contentLength) && (counted.receivedEncodedLength || writer.length) !== contentLength) {
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
