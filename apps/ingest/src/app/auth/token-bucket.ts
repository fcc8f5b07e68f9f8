/** Seconds until a bucket refilling at `rate` per second holds `wanted` tokens; at least 1 (Retry-After). */
export function secondsUntil(tokens: number, wanted: number, rate: number): number {
  return Math.max(1, Math.ceil((wanted - tokens) / rate));
}

/** Tokens a bucket holds `elapsedMs` after it held `tokens`, refilling at `rate` per second up to `burst`. */
export function refilled(tokens: number, elapsedMs: number, rate: number, burst: number): number {
  return Math.min(burst, tokens + (Math.max(0, elapsedMs) / 1000) * rate);
}

/** What one take() decided, and what the bucket held afterwards (after taking, when admitted). */
export interface BucketAnswer {
  admitted: boolean;
  tokens: number;
}

/**
 * A token bucket in this process, on the clock it is given. The same arithmetic as the shared bucket's
 * Lua script (SHARED_TOKEN_BUCKET_SCRIPT), which is what the quota uses while Redis is away.
 */
export class LocalTokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    // Monotonic, so a wall clock stepped back cannot stop the refill.
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.updatedMs = now();
  }

  /** Takes `wanted` tokens when the bucket holds them; takes nothing otherwise. */
  take(wanted: number): BucketAnswer {
    const now = this.now();
    this.tokens = refilled(this.tokens, now - this.updatedMs, this.rate, this.burst);
    this.updatedMs = Math.max(this.updatedMs, now);
    if (this.tokens < wanted) return { admitted: false, tokens: this.tokens };
    this.tokens -= wanted;
    return { admitted: true, tokens: this.tokens };
  }
}
