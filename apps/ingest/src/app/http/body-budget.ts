import { heapHeadroomProblem } from '@logpipe/app-runtime';
import { RequestError } from './request-errors';

/**
 * Bounds the bytes of request bodies that are being parsed, validated and queued at once in this
 * process. A parsed batch takes several times its body size in memory (objects, validated entries,
 * encoded stream values), so without a bound a burst of large batches grows the heap until the
 * process is killed, losing every request in flight. Past the bound a request is answered 503 with
 * Retry-After before it is parsed; nginx passes it on (a deliberate 503 is not a dead instance, see
 * nginx/README.md) and the client retries.
 */
export class InFlightBodyBudget {
  private used = 0;

  constructor(readonly limitBytes: number) {}

  /**
   * Takes `bytes` of the budget, or returns false when that would pass the limit. A body alone is
   * always taken, so a body of up to MAX_BODY_BYTES can be accepted whatever the limit.
   */
  tryTake(bytes: number): boolean {
    if (this.used > 0 && this.used + bytes > this.limitBytes) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  get bytesInUse(): number {
    return this.used;
  }
}

/** The 503 of a body the budget has no room for: how much is in use, the setting, and when to retry. */
export function budgetSpentError(budget: InFlightBodyBudget, retryAfterSeconds: number): RequestError {
  const inUse = (budget.bytesInUse / 1048576).toFixed(1);
  return new RequestError(
    503,
    `ingest is busy: ${inUse} MiB of request bodies are being processed (MAX_IN_FLIGHT_BODY_BYTES=${budget.limitBytes}); retry later`,
    undefined,
    retryAfterSeconds,
  );
}

/**
 * Heap assumed per byte of body being parsed, validated and encoded (JSON objects, validated entries,
 * stream values). An estimate, not a measurement: the one data point is the stress test in README
 * "Memory", where the default budget (8 MiB, so 160 MiB by this ratio) stayed within the 192 MiB cap.
 */
export const HEAP_BYTES_PER_BODY_BYTE = 20;

/**
 * A warning when the V8 heap limit cannot hold the most request-body bytes ingest may be working on at
 * once (the budget, or one body of MAX_BODY_BYTES, which is always taken), or null when it can.
 */
export function bodyHeapProblem(
  budgetBytes: number,
  maxBodyBytes: number,
  heapLimitBytes: number,
): string | null {
  return heapHeadroomProblem(Math.max(budgetBytes, maxBodyBytes) * HEAP_BYTES_PER_BODY_BYTE, heapLimitBytes, {
    holds: 'max(MAX_IN_FLIGHT_BODY_BYTES, MAX_BODY_BYTES) of bodies in flight can take',
    risk: 'a burst of large batches could exhaust it',
  });
}
