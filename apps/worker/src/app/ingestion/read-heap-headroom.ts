import { heapHeadroomProblem } from '@logpipe/app-runtime';

/**
 * Heap assumed per byte of stream value a read holds once decoded: the value itself plus its rows. Measured
 * on ingest's chunks with decodeStreamValue + planMessage (node --expose-gc, heap and external before and
 * after): rows took ~3× the value for ~300-byte entries and ~0.9× for 4-60 KB entries; 4 covers both.
 */
export const HEAP_BYTES_PER_VALUE_BYTE = 4;

/**
 * A warning when the V8 heap limit cannot hold the reads the worker may hold at once (MAX_BATCHES_IN_FLIGHT
 * being stored and one being decoded, READ_MAX_BYTES each), or null when it can.
 */
export function readHeapProblem(
  readMaxBytes: number,
  maxBatchesInFlight: number,
  heapLimitBytes: number,
): string | null {
  const worstCase = (maxBatchesInFlight + 1) * readMaxBytes * HEAP_BYTES_PER_VALUE_BYTE;
  return heapHeadroomProblem(worstCase, heapLimitBytes, {
    holds: 'MAX_BATCHES_IN_FLIGHT + 1 reads of READ_MAX_BYTES can take once decoded',
    risk: 'large entries could exhaust it',
  });
}
