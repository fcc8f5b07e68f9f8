import { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';

// 64 KiB of output per chunk instead of zlib's 16 KiB: each chunk is a round trip to the thread pool
// and a 'data' event. Stream-decompressing a 1,000-entry NDJSON body (53 KB gzip, 317 KB out, read 64 KiB
// at a time) took 0.89-1.13 µs of CPU per entry with 16 KiB, 0.50 with 64 KiB, 0.33-0.43 with 256 KiB,
// and gunzipSync 0.25 (measured 2026-12-01, 300 bodies each); 256 KiB would give a small body a
// 256 KiB buffer to keep.
const GUNZIP_CHUNK_BYTES = 64 * 1024;

/**
 * A gzip body decoded as it arrives, as the body parsers read it: a stream of the decoded bytes that
 * counts the encoded bytes it read in `receivedEncodedLength` (framed-body.ts bounds and compares them).
 *
 * Fastify keeps the stream a preParsing hook returns for as long as the request lives, which is until
 * Redis has answered; so does the request's own stream, through the listeners put on it here. Neither
 * holds the gunzip stream itself once the body has ended: zlib keeps an output buffer of
 * GUNZIP_CHUNK_BYTES with it, and a gunzip held through the Redis round trip was promoted to V8's old
 * generation with that buffer, which then waited for a mark-compact (heaptrack of ingest under gzip
 * NDJSON-1000 batches: ~5 MiB of them at its peak, in glibc's heap, which kept the room).
 */
export class GunzippedPayload extends Readable {
  receivedEncodedLength = 0;
  private gunzip: Gunzip | undefined;

  constructor(encoded: Readable) {
    super();
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
    this.gunzip = gunzip;
    encoded.on('data', (chunk: Buffer) => {
      this.receivedEncodedLength += chunk.length;
    });
    encoded.on('error', (error) => this.destroy(error));
    gunzip.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) gunzip.pause();
    });
    gunzip.once('end', () => {
      this.gunzip = undefined;
      this.push(null);
    });
    // zlib's own errors carry no HTTP status; the error handler maps Z_* codes to 400.
    gunzip.on('error', (error) => this.destroy(error));
    // When Fastify refuses the request before reading the body (an unsupported content type: 415),
    // nobody listens on this stream, and a corrupt or truncated gzip body would then crash the
    // process with an unhandled 'error'. A parser that does read it adds its own listener.
    this.on('error', () => undefined);
    encoded.pipe(gunzip);
  }

  override _read(): void {
    this.gunzip?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.gunzip?.destroy();
    this.gunzip = undefined;
    callback(error);
  }
}
