import { LOG_WRITE_LANES } from '@logpipe/log-store';

/**
 * Hands each batch being stored a write lane (@logpipe/log-store's write-lanes.ts): the least used one, so
 * the batches in flight at once write in different lanes as long as there are no more of them than lanes.
 */
export class WriteLanePool {
  private readonly batchesIn: number[];

  constructor(lanes = LOG_WRITE_LANES) {
    this.batchesIn = new Array<number>(lanes).fill(0);
  }

  /** The lane for a batch about to be stored; give it back with release() when the batch settles. */
  take(): number {
    let lane = 0;
    for (let i = 1; i < this.batchesIn.length; i++) if (this.batchesIn[i] < this.batchesIn[lane]) lane = i;
    this.batchesIn[lane]++;
    return lane;
  }

  release(lane: number): void {
    if (!(this.batchesIn[lane] > 0)) throw new Error(`write lane ${lane} released more often than taken`);
    this.batchesIn[lane]--;
  }

  /** Stores with a lane taken for the duration of `store`. */
  async with<T>(store: (lane: number) => Promise<T>): Promise<T> {
    const lane = this.take();
    try {
      return await store(lane);
    } finally {
      this.release(lane);
    }
  }
}
