// Large stream values compressed (StreamClientOptions.compressMinBytes, default 16 KiB: batches of ~50
// entries and up). Redis spends its CPU on a large value by the byte: reading it from the socket, writing
// it to the AOF, sending it to the worker; and the backlog it holds in memory shrinks with it. Measured
// 2026-12-02 (private Redis with deploy/redis/logpipe.conf, a 1,000-entry bench body of 317,090 bytes,
// XADD + XREADGROUP + XACK): Redis 2.2 µs of CPU per log entry plain, 0.5-1.0 compressed to 91,396 bytes.
// Compressing that body takes ~0.3 ms (0.3 µs per entry), uncompressing it ~0.1 ms more than the text
// the reader makes of it anyway. Small values stay plain: their cost in Redis is per command, not per byte.
import { compressSync, uncompressSync } from 'snappy';
import { STREAM_PAYLOAD_FIELD } from './stream-client.options';

/**
 * The field of a stream entry whose value is its payload compressed with snappy (raw format, as Loki's
 * push bodies), instead of STREAM_PAYLOAD_FIELD. A different field rather than a marker inside `data`:
 * a JSON payload can begin with any byte snappy's length header can. Readers of this version take both
 * fields (parseStreamEntry); a worker that predates it finds no payload in such an entry, so upgrade
 * the workers before ingest (or start ingest with STREAM_COMPRESS_MIN_BYTES=0 until they are).
 */
export const SNAPPY_PAYLOAD_FIELD = 'data.snappy';

/** A value as XADD will write it: under which field, in which form. */
export interface StreamFieldValue {
  field: string;
  value: string | Buffer;
}

/** Whether a value of `length` is stored compressed under a `minBytes` setting (0: never). */
export function isCompressed(length: number, minBytes: number): boolean {
  return minBytes > 0 && length >= minBytes;
}

/**
 * Memory for a compressed value, `size` bytes, that the caller keeps from other use until the append
 * that carries it has settled (ingest: a request's FrameLease, log-schema's body-frames.ts).
 */
export type ValueMemory = (size: number) => Buffer;

/**
 * `value` compressed under SNAPPY_PAYLOAD_FIELD when isCompressed says so, else as it is. With
 * `memory`, the compressed bytes are copied into what it gives, and snappy's own Buffer is garbage at
 * once.
 */
export function streamFieldValue(
  value: string | Buffer,
  minBytes: number,
  memory?: ValueMemory,
): StreamFieldValue {
  if (!isCompressed(value.length, minBytes)) return { field: STREAM_PAYLOAD_FIELD, value };
  // copyOutputData: a Buffer of V8's own rather than one over memory snappy allocated. V8 does not see
  // the size of the latter, so it collected them late: ingest's RSS rose 40% under json-1000 batches
  // (a loop of 3,000 compressions of a 317 KB body: peak RSS 373 MiB external, 88 MiB copied, at the
  // same speed).
  const compressed = compressSync(value, { copyOutputData: true });
  if (memory === undefined) return { field: SNAPPY_PAYLOAD_FIELD, value: compressed };
  // Held until Redis answers, snappy's Buffer outlived V8's young generation and waited for a
  // mark-compact, in glibc's heap: heaptrack of ingest under json-1000 batches found 5.3 MiB of them
  // at its peak, and the heap kept the room. Copied (~90 KB, a few µs), it dies young.
  const kept = memory(compressed.length);
  compressed.copy(kept);
  return { field: SNAPPY_PAYLOAD_FIELD, value: kept };
}

/**
 * A SNAPPY_PAYLOAD_FIELD value as text. One that does not uncompress (it cannot come from
 * StreamProducer) is kept, base64, in `corrupt` with the reason, so the reader can dead-letter it
 * instead of failing the whole read.
 */
export type UncompressedPayload =
  | { payload: string }
  | { payload: null; corrupt: { value: string; reason: string } };

export function uncompressPayload(value: string | Buffer): UncompressedPayload {
  if (typeof value === 'string') {
    // Text replies decode bytes as UTF-8, which does not give compressed bytes back: read with Buffers.
    throw new Error(
      `${SNAPPY_PAYLOAD_FIELD} read as text: read stream entries with ioredis' *Buffer commands`,
    );
  }
  try {
    return { payload: uncompressSync(value, { asBuffer: false }) as string };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      payload: null,
      corrupt: {
        value: value.toString('base64'),
        reason: `${SNAPPY_PAYLOAD_FIELD} does not uncompress: ${reason}`,
      },
    };
  }
}
