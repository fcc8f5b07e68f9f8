import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RequestError } from '../http/request-errors';
import type { IngestConfig } from '../ingest.config';

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Seconds until a bucket refilling at `rate` per second holds `wanted` tokens; at least 1 (Retry-After). */
export function secondsUntil(tokens: number, wanted: number, rate: number): number {
  return Math.max(1, Math.ceil((wanted - tokens) / rate));
}

/**
 * Per-tenant ingest quota: a token bucket per tenant, counting entries (a batch of 500 takes 500
 * tokens), refilled at TENANT_QUOTA_PER_SECOND up to TENANT_QUOTA_BURST. The buckets live in this
 * process, so the quota holds per ingest instance: behind nginx with N instances a tenant can get up to
 * N times the rate. It sits on top of nginx's per-IP request limit, which knows nothing of tenants.
 */
@Injectable()
export class TenantQuota {
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly burst: number;

  constructor(config: ConfigService<IngestConfig, true>) {
    this.rate = config.get('TENANT_QUOTA_PER_SECOND', { infer: true });
    this.burst = config.get('TENANT_QUOTA_BURST', { infer: true });
  }

  /**
   * Takes `entries` tokens from the tenant's bucket, or throws: 413 when the batch could never fit the
   * bucket, 429 with Retry-After when it does not fit yet. Nothing is taken from a refused request.
   */
  take(tenant: string, entries: number): void {
    if (this.rate === 0) return;
    if (entries > this.burst) {
      throw new RequestError(
        413,
        `the batch has ${entries} entries; a tenant may send at most ${this.burst} at once (TENANT_QUOTA_BURST)`,
      );
    }
    const now = Date.now();
    const bucket = this.buckets.get(tenant) ?? { tokens: this.burst, updatedMs: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * this.rate);
    bucket.updatedMs = now;
    this.buckets.set(tenant, bucket);
    if (bucket.tokens < entries) {
      const retryAfter = secondsUntil(bucket.tokens, entries, this.rate);
      throw new RequestError(
        429,
        `tenant "${tenant}" is over its ingest quota of ${this.rate} entries per second (burst ${this.burst}) on this instance; retry after ${retryAfter} s`,
        undefined,
        retryAfter,
      );
    }
    bucket.tokens -= entries;
  }
}
