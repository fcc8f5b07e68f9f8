import { DEFAULT_CHUNK_MAX_BYTES } from '@logpipe/log-schema';
import type { StreamMessage } from '@logpipe/stream-client';

/**
 * How many stream messages to ask for (XREADGROUP / XAUTOCLAIM COUNT) so that a read holds about
 * BATCH_SIZE log entries and at most about READ_MAX_BYTES of stream values, now that a message is a chunk
 * of up to a thousand entries and 1 MiB by default (issue 14):
 * - entries: COUNT is BATCH_SIZE over the recent average entries per message, but at most
 *   MAX_OVERSHOOT × BATCH_SIZE over the largest message seen lately, so a read holds at most about
 *   MAX_OVERSHOOT batches of entries even when chunk sizes vary;
 * - bytes: COUNT is at most READ_MAX_BYTES over the largest value (UTF-8 bytes) seen lately, so a read
 *   of messages no larger than those holds at most READ_MAX_BYTES however large the entries are (1,000
 *   single entries near the 80 KB entry limit would otherwise be a read of 80 MB). The worker's heap, and
 *   the V8 cap on it, can then be sized from the settings instead of from the entries' sizes.
 * A read always asks for at least one message. The average follows what is read (exponentially
 * weighted); the largest decays slowly, so a stream that went back to small messages gets large reads
 * again after a few dozen reads, and a jump to larger messages overshoots by the jump for one read: up
 * to BATCH_SIZE messages of the new size (README "Memory" gives that worst case and its consequence).
 * Before anything was seen it assumes chunks of BATCH_SIZE / 10 entries and of ingest's largest default
 * chunk (DEFAULT_CHUNK_MAX_BYTES).
 */
export const MAX_OVERSHOOT = 10;
const AVERAGE_WEIGHT = 0.3;
const LARGEST_DECAY = 0.9;

/** What one read held, as ReadCount learns from it. */
export interface ObservedRead {
  messages: number;
  /** log entries in all its messages (a chunk counts its entries) */
  entries: number;
  /** entries of its largest message */
  largestEntries: number;
  /** UTF-8 bytes of its largest value (largestValueBytes) */
  largestBytes: number;
}

export class ReadCount {
  private average: number;
  private largest: number;
  private largestBytes = DEFAULT_CHUNK_MAX_BYTES;

  constructor(
    private readonly batchSize: number,
    private readonly maxReadBytes: number,
  ) {
    this.average = Math.max(1, batchSize / 10);
    this.largest = this.average;
  }

  /** The next read's COUNT, 1 to BATCH_SIZE. */
  get value(): number {
    const byAverage = Math.round(this.batchSize / this.average);
    const byLargest = Math.floor((MAX_OVERSHOOT * this.batchSize) / this.largest);
    const byBytes = Math.floor(this.maxReadBytes / this.largestBytes);
    return Math.max(1, Math.min(this.batchSize, byAverage, byLargest, byBytes));
  }

  observe({ messages, entries, largestEntries, largestBytes }: ObservedRead): void {
    if (messages === 0) return;
    this.average += AVERAGE_WEIGHT * (Math.max(1, entries / messages) - this.average);
    this.largest = Math.max(1, largestEntries, this.largest * LARGEST_DECAY);
    this.largestBytes = Math.max(1, largestBytes, this.largestBytes * LARGEST_DECAY);
  }
}

/** UTF-8 bytes of the largest stream value of a read (what Redis sent; a deleted entry's null counts 0). */
export function largestValueBytes(messages: readonly StreamMessage[]): number {
  let largest = 0;
  for (const { payload } of messages) {
    if (payload !== null) largest = Math.max(largest, Buffer.byteLength(payload, 'utf8'));
  }
  return largest;
}
