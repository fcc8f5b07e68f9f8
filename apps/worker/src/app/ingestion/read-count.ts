/**
 * How many stream messages to ask for (XREADGROUP / XAUTOCLAIM COUNT) so that a read holds about
 * BATCH_SIZE log entries, now that a message is a chunk of up to hundreds of entries (issue 14), and never
 * much more: COUNT is BATCH_SIZE over the recent average entries per message, but at most
 * MAX_OVERSHOOT × BATCH_SIZE over the largest message seen lately, so a read holds at most about
 * MAX_OVERSHOOT batches of entries even when chunk sizes vary (worker memory stays bounded and flat).
 * The average follows what is read (exponentially weighted); the largest decays slowly, so a stream that
 * went back to small chunks gets large reads again after a few dozen reads. Before anything was seen it
 * assumes chunks of BATCH_SIZE / 10 entries.
 */
export const MAX_OVERSHOOT = 10;
const AVERAGE_WEIGHT = 0.3;
const LARGEST_DECAY = 0.9;

export class ReadCount {
  private average: number;
  private largest: number;

  constructor(private readonly batchSize: number) {
    this.average = Math.max(1, batchSize / 10);
    this.largest = this.average;
  }

  /** The next read's COUNT, 1 to BATCH_SIZE. */
  get value(): number {
    const byAverage = Math.round(this.batchSize / this.average);
    const byLargest = Math.floor((MAX_OVERSHOOT * this.batchSize) / this.largest);
    return Math.max(1, Math.min(this.batchSize, byAverage, byLargest));
  }

  /** What a read held: its messages, their log entries and the entries of the largest one. */
  observe(messages: number, entries: number, largestMessage: number): void {
    if (messages === 0) return;
    this.average += AVERAGE_WEIGHT * (Math.max(1, entries / messages) - this.average);
    this.largest = Math.max(1, largestMessage, this.largest * LARGEST_DECAY);
  }
}
