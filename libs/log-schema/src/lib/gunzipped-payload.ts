// A gzip request body decoded for the body parsers (ingest's preParsing hook, the bench's node:http
// floor): in one call when it is small, as a stream when it is not.
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync, type Gunzip } from 'node:zlib';

/**
 * The largest body decoded in one call, encoded and decoded: a body sent larger (or whose gzip trailer
 * says it decodes larger) is decoded as a stream instead, on the thread pool. The bound keeps what one
 * request can hold the event loop for short: in one call here, the bench's 317 KB batch took ~0.3 ms,
 * 810 KB of Markdown 3-8 ms, 10 MiB of zeros 28 ms (most of it faulting in the fresh output buffer).
 */
export const GUNZIP_ONE_CALL_MAX_BYTES = 1024 * 1024;

// 64 KiB of output per chunk instead of zlib's 16 KiB when streaming: each chunk is a round trip to the
// thread pool and a 'data' event (16 KiB took about twice the CPU per body, measured 2026-12-01).
const GUNZIP_STREAM_CHUNK_BYTES = 64 * 1024;

/** gzip's trailer: CRC-32, then ISIZE, the decoded size modulo 2^32, both little-endian. */
const GZIP_TRAILER_BYTES = 8;
/** The smallest gzip member: a 10-byte header, an empty deflate block, the trailer. */
const GZIP_MIN_BYTES = 18;
/** Deflate's largest ratio (258-byte matches in 2-bit codes): what an honest trailer can claim. */
const DEFLATE_MAX_RATIO = 1032;

/**
 * A gzip body decoded as the body parsers read it: a stream of the decoded bytes that counts the
 * encoded bytes it read in `receivedEncodedLength` (ingest's framed-body.ts bounds and compares them, and
 * refuses decoded bytes past its limit).
 *
 * The encoded bytes are gathered until the body ends and, once the body is read, decoded in one zlib
 * call into one Buffer of the size the gzip trailer gives, as long as that and the encoded size are
 * within GUNZIP_ONE_CALL_MAX_BYTES and `maxDecodedBytes`. Streamed, a 1,000-entry NDJSON batch (53 KB
 * gzip, 317 KB decoded) took ~620-780 µs of CPU per body in 64 KiB chunks through the thread pool, in one
 * call ~230-330 µs (node, 1,000 bodies each, 2026-12-05; what it did to ingest: BENCHMARKS.md
 * 2026-12-05 11:40). Any other body is streamed as before, the gathered bytes written into a gunzip stream
 * and the rest piped after them: one sent larger, one whose trailer says it decodes larger (a gzip bomb
 * says so, or zlib's length check refuses it), and one that decodes past its trailer's size (several gzip
 * members, whose trailer is the last one's; the one call stops there), so the one call never holds the
 * event loop for more than the bound, and the reader's own count refuses a body past its limit.
 *
 * Fastify keeps the stream a preParsing hook returns for as long as the request lives, which is until
 * Redis has answered; so does the request's own stream, through the listeners put on it here. Neither
 * holds the gathered bytes or a gunzip stream once the body is decoded: a gunzip keeps an output buffer of
 * GUNZIP_STREAM_CHUNK_BYTES, and one held through the Redis round trip was promoted to V8's old
 * generation with it, which then waited for a mark-compact (heaptrack of ingest under gzip NDJSON-1000
 * batches: ~5 MiB of them at its peak).
 */
export class GunzippedPayload extends Readable {
  receivedEncodedLength = 0;
  /** The encoded chunks so far while the body may still be decoded in one call; undefined once not. */
  private gathered: Buffer[] | undefined = [];
  /** The whole encoded body, gathered, until it is read (a refused body is never decoded). */
  private whole: Buffer | undefined;
  /** Whether the reader asked for data that has not been pushed yet (Readable calls _read once for it). */
  private wanted = false;
  private gunzip: Gunzip | undefined;

  /** `maxDecodedBytes`: the most bytes the body may decode to (ingest's MAX_BODY_BYTES). */
  constructor(
    encoded: Readable,
    private readonly maxDecodedBytes: number,
  ) {
    super();
    // Past this many encoded bytes the body is streamed: past the decoded limit, so is the reader's
    // count of encoded bytes (which it refuses past the same limit as it arrives).
    const gatherMax = Math.min(GUNZIP_ONE_CALL_MAX_BYTES, maxDecodedBytes);
    const onData = (chunk: Buffer) => {
      this.receivedEncodedLength += chunk.length;
      if (this.gathered === undefined) return;
      this.gathered.push(chunk);
      // pipe() listens from the next chunk on: this one is among the gathered, written first.
      if (this.receivedEncodedLength > gatherMax) encoded.pipe(this.stream(this.takeGathered()));
    };
    encoded.on('data', onData);
    encoded.once('end', () => {
      if (this.gathered === undefined) return;
      if (!encoded.listeners('data').includes(onData)) {
        // Taken off the request before its end (ingest's lingering close drops a refused body's bytes
        // so), it gathered part of the body: nothing to decode. The error is for a reader still on it.
        this.destroy(new Error('the request body was dropped before its end'));
        return;
      }
      this.whole = this.takeGathered();
      if (this.wanted) this.decodeWhole();
    });
    encoded.on('error', (error) => this.destroy(error));
    // When Fastify refuses the request before reading the body (an unsupported content type: 415),
    // nobody listens on this stream, and a corrupt or truncated gzip body would then crash the
    // process with an unhandled 'error'. A parser that does read it adds its own listener.
    this.on('error', () => undefined);
  }

  override _read(): void {
    if (this.whole !== undefined) this.decodeWhole();
    else if (this.gunzip !== undefined) this.gunzip.resume();
    else this.wanted = true;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.gathered = undefined;
    this.whole = undefined;
    this.gunzip?.destroy();
    this.gunzip = undefined;
    callback(error);
  }

  private takeGathered(): Buffer {
    const gathered = this.gathered ?? [];
    this.gathered = undefined;
    return gathered.length === 1 ? gathered[0] : Buffer.concat(gathered, this.receivedEncodedLength);
  }

  /** The whole body's encoded bytes: decoded in one call, or streamed when that is not for it. */
  private decodeWhole(): void {
    const body = this.whole as Buffer;
    this.whole = undefined;
    this.wanted = false;
    const claimed = claimedDecodedSize(body);
    if (claimed > Math.min(this.maxDecodedBytes, GUNZIP_ONE_CALL_MAX_BYTES)) {
      this.stream(body).end();
      return;
    }
    let decoded: Buffer;
    try {
      decoded = gunzipSync(body, {
        // One byte over the claimed size: zlib allocates another chunk when the output fills one.
        chunkSize: Math.max(64, claimed + 1),
        maxOutputLength: Math.max(1, claimed),
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        // More than the trailer says: several gzip members, or a wrong trailer (which the stream's
        // length check refuses); streamed, the reader's count bounds it.
        this.stream(body).end();
      } else {
        // zlib's own errors carry no HTTP status; the error handler maps Z_* codes to 400.
        this.destroy(error as Error);
      }
      return;
    }
    if (decoded.length > 0) this.push(decoded);
    this.push(null);
  }

  /** Starts decoding as a stream, with `first` written into it; the caller writes or pipes the rest. */
  private stream(first: Buffer): Gunzip {
    const gunzip = createGunzip({ chunkSize: GUNZIP_STREAM_CHUNK_BYTES });
    this.gunzip = gunzip;
    gunzip.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) gunzip.pause();
    });
    gunzip.once('end', () => {
      this.gunzip = undefined;
      this.push(null);
    });
    gunzip.on('error', (error) => this.destroy(error));
    gunzip.write(first);
    return gunzip;
  }
}

/**
 * What the body's gzip trailer says it decodes to (its last member's size, modulo 2^32), bounded by
 * deflate's largest ratio (so a wrong trailer on a small body cannot make the one call allocate more
 * than the body could hold); 0 for a body too short to be gzip, which zlib then refuses.
 */
function claimedDecodedSize(body: Buffer): number {
  if (body.length < GZIP_MIN_BYTES) return 0;
  const claimed = body.readUInt32LE(body.length - GZIP_TRAILER_BYTES + 4);
  return Math.min(claimed, body.length * DEFLATE_MAX_RATIO);
}
