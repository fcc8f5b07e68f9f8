// Request bodies read into frames: Buffers with room before and after the body for a version 4 stream
// value's opening and closing, so that a JSON array body is queued from the bytes it was read into
// (encodeSubmittedChunks writes the value around them) instead of from a second copy.
//
// Why it matters under batch load: a request's body lives until Redis answers, long enough to outlive
// V8's young generation. The memory of each such Buffer then counts against the old generation's limit
// until a mark-compact frees it (V8 adds the external memory allocated since the last one), so every
// ~300 KB body brought the next mark-compact nearer by its size, and by as much again for the copy; the
// collector was about a quarter of ingest's CPU (`perf` of tools/bench/ingest-alone.mjs --batch 1000).
// A pool of frames (BodyFramePool) takes that external allocation out of the request path altogether.

/**
 * The bytes a frame leaves free before a body: the longest opening of a version 4 value
 * (`[4,<epoch ms>,"<tenant>",`: 3 + 16 + 1 + MAX_TENANT_LENGTH + 2 + 1 bytes) with room to spare.
 */
export const FRAME_ROOM_BEFORE = 128;
/**
 * ... and after it: the value's closing, `]` after a JSON array, `]]` after NDJSON lines as sent (the
 * second where a body ends without a newline).
 */
export const FRAME_ROOM_AFTER = 2;

/**
 * A Buffer holding one request's body with bytes to spare before and after it that belong to nothing
 * else (see encodeSubmittedChunks). `release()` hands the bytes back to the pool the frame came from,
 * if any, for another body: call it only once nothing will read the body or a value written around it
 * again (ingest: once the append that carried it has succeeded, or when nothing was handed to Redis).
 * A second call does nothing.
 */
export class BodyFrame {
  private released = false;

  constructor(
    readonly bytes: Buffer,
    private readonly pool?: BodyFramePool,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.pool?.put(this.bytes);
  }
}

/** The bytes a frame for a body of `length` bytes holds at least: the body and its room. */
function frameBytes(length: number): number {
  return FRAME_ROOM_BEFORE + length + FRAME_ROOM_AFTER;
}

/** A body read into a frame: `body` is a view of `frame.bytes`, FRAME_ROOM_BEFORE bytes in. */
export interface FramedBody {
  body: Buffer;
  frame: BodyFrame;
}

/**
 * Bodies under this size (a single entry's, a few hundred bytes) get a frame of their own. A 100-entry
 * batch's (~32 KB) is held through the Redis round trip as a large one is, long enough to be promoted
 * to the old generation, and is pooled too: with frames pooled from 64 KiB, ingest took 6.5-7.2
 * µs of CPU per entry of json-100 batches, from 4 KiB 5.2-5.3 (tools/bench/ingest-alone.mjs --batch 100
 * --connections 8, the two builds in turn, 2026-12-05).
 */
const POOLED_MIN_BYTES = 4 * 1024;

/**
 * Frames for bodies of POOLED_MIN_BYTES or more, in power-of-two sizes, kept for reuse once released:
 * at most `maxPooledBytes` in all (a frame given back past that is left to the collector). A frame is
 * never in the pool and in use at once: `frame()` takes it out, `BodyFrame.release()` puts it back.
 */
export class BodyFramePool {
  private readonly free = new Map<number, Buffer[]>();
  private pooledBytes = 0;

  constructor(readonly maxPooledBytes: number) {}

  /** A frame of at least `length` bytes of body with its room, from the pool when one is free. */
  frame(length: number): BodyFrame {
    return this.take(frameBytes(length));
  }

  /** A frame of at least `size` bytes (pooled from POOLED_MIN_BYTES on), from the pool when one is free. */
  take(size: number): BodyFrame {
    if (size < POOLED_MIN_BYTES) return new BodyFrame(Buffer.allocUnsafeSlow(size));
    const pooledSize = 2 ** Math.ceil(Math.log2(size));
    const reused = this.free.get(pooledSize)?.pop();
    if (reused !== undefined) this.pooledBytes -= pooledSize;
    return new BodyFrame(reused ?? Buffer.allocUnsafeSlow(pooledSize), this);
  }

  /** BodyFrame.release's way back in. */
  put(bytes: Buffer): void {
    if (this.pooledBytes + bytes.length > this.maxPooledBytes) return;
    let sameSize = this.free.get(bytes.length);
    if (sameSize === undefined) this.free.set(bytes.length, (sameSize = []));
    sameSize.push(bytes);
    this.pooledBytes += bytes.length;
  }
}

/**
 * The frames one request's stream values are written into (encodeLogChunks, encodeSubmittedChunks),
 * given back together once the append that carried them succeeded: the values live until Redis answers,
 * as a body does, and cost the collector what a body's frame did.
 */
export class FrameLease {
  private readonly frames: BodyFrame[] = [];

  constructor(private readonly pool: BodyFramePool) {}

  /** `size` bytes for one value, in a frame from the pool that release() gives back. */
  take(size: number): Buffer {
    const frame = this.pool.take(size);
    this.frames.push(frame);
    return frame.bytes.subarray(0, size);
  }

  /** Gives every frame taken back (BodyFrame.release: only once nothing will read the values again). */
  release(): void {
    for (const frame of this.frames) frame.release();
    this.frames.length = 0;
  }
}

/** What a gzip body decodes to, as a multiple of its encoded length, for its first frame: logs' text. */
const GZIP_RATIO_GUESS = 8;
/** A frame's room around its body: a first frame of a guessed size is then exactly a power of two. */
const ROOM = FRAME_ROOM_BEFORE + FRAME_ROOM_AFTER;
/** The first frame of a body whose length is not known (chunked). */
const UNKNOWN_LENGTH_GUESS = 64 * 1024 - ROOM;
/**
 * The largest first frame: a body announced larger (up to the body limit) gets its frames as its bytes
 * arrive, not all of them before the first one has.
 */
const FIRST_FRAME_MAX = 1024 * 1024 - ROOM;

/**
 * The body bytes of a BodyFrameWriter's first frame: the Content-Length (NaN: not sent; a longer or
 * shorter body is refused anyway), or for a gzip body 8 times it, at most FIRST_FRAME_MAX and `limit`;
 * the writer doubles a frame that is too small.
 */
export function firstFrameBodyBytes(contentLength: number, gzip: boolean, limit: number): number {
  if (Number.isNaN(contentLength)) return Math.min(limit, UNKNOWN_LENGTH_GUESS);
  return Math.min(limit, FIRST_FRAME_MAX, gzip ? contentLength * GZIP_RATIO_GUESS : contentLength);
}

/**
 * A request body copied into a frame chunk by chunk as it arrives, instead of gathered and joined at
 * the end: each chunk (a socket read, a piece gunzip wrote) is garbage as soon as it is copied, so it
 * dies in V8's young generation. Gathered, the chunks of a body still arriving, or being decoded on the
 * thread pool, outlived a scavenge or two and were promoted; their memory then waited for a
 * mark-compact, and glibc's heap grew by the most of them ever waiting at once (heaptrack of ingest
 * under gzip NDJSON-1000 batches: 5.9 MiB of decoded pieces at its peak).
 *
 * `expectedLength`: the body's length when it is known (Content-Length), or a guess (firstFrameBodyBytes);
 * a frame that turns out too small is replaced by one twice the size, from `pool` when given, and the bytes so far copied.
 */
export class BodyFrameWriter {
  private frame: BodyFrame;
  private written = 0;

  constructor(
    expectedLength: number,
    private readonly pool?: BodyFramePool,
  ) {
    this.frame = this.frameFor(expectedLength);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.written;
  }

  write(chunk: Buffer): void {
    if (frameBytes(this.written + chunk.length) > this.frame.bytes.length) {
      this.grow(this.written + chunk.length);
    }
    this.written += chunk.copy(this.frame.bytes, FRAME_ROOM_BEFORE + this.written);
  }

  /**
   * The body written, in its frame: pass `body` and `frame` to encodeSubmittedChunks (`jsonArray: body,
   * frame`) and the stream value is written around the body's bytes. Write nothing after it.
   */
  finish(): FramedBody {
    return {
      body: this.frame.bytes.subarray(FRAME_ROOM_BEFORE, FRAME_ROOM_BEFORE + this.written),
      frame: this.frame,
    };
  }

  /** Gives the frame back: for a body refused before it was finished (nothing else reads its bytes). */
  discard(): void {
    this.frame.release();
  }

  private grow(length: number): void {
    // Twice the body so far: a body of unknown length is copied again a few times at most.
    const larger = this.frameFor(Math.max(length, 2 * this.written));
    this.frame.bytes.copy(
      larger.bytes,
      FRAME_ROOM_BEFORE,
      FRAME_ROOM_BEFORE,
      FRAME_ROOM_BEFORE + this.written,
    );
    this.frame.release();
    this.frame = larger;
  }

  private frameFor(length: number): BodyFrame {
    return this.pool?.frame(length) ?? new BodyFrame(Buffer.allocUnsafeSlow(frameBytes(length)));
  }
}
