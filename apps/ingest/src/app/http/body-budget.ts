/**
 * Bounds the bytes of request bodies that are being parsed, validated and queued at once in this
 * process. A parsed batch takes several times its body size in memory (objects, validated entries,
 * encoded stream values), so without a bound a burst of large batches grows the heap until the
 * process is killed, losing every request in flight. Past the bound a request is answered 503 with
 * Retry-After before it is parsed; nginx then tries the other instance.
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
