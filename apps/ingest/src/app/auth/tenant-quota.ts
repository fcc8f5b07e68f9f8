import { StreamProducer } from '@logpipe/stream-client';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RequestError } from '../http/request-errors';
import type { IngestConfig } from '../ingest.config';
import { IngestMetrics } from '../metrics/ingest.metrics';
import { SharedTokenBucket } from './shared-token-bucket';
import { type BucketAnswer, LocalTokenBucket, refilled, secondsUntil } from './token-bucket';

/** What the shared bucket last said about a tenant, and when the question was sent. */
interface LastAnswer {
  tokens: number;
  sentAtMs: number;
}

/**
 * Per-tenant ingest quota across every ingest instance: a token bucket per tenant in Redis (one hash,
 * one atomic Lua script, see SharedTokenBucket), counting entries (a batch of 500 takes 500 tokens),
 * refilled at TENANT_QUOTA_PER_SECOND up to TENANT_QUOTA_BURST. It sits on top of nginx's per-IP
 * request limit, which knows nothing of tenants.
 *
 * While Redis is away each instance keeps a bucket of its own at 1/TENANT_QUOTA_INSTANCES of the rate
 * and burst, so the fleet stays within the quota if that setting is at least the number of instances
 * (README, "Quota", states the bound). A quota problem never becomes a 500.
 *
 * Before asking Redis, a tenant that is clearly over its quota is refused here: the shared bucket can
 * hold at most what it held at its last answer to this instance plus the refill since that question was
 * sent (other instances only take from it), so a refusal on that bound is one Redis would give too.
 */
@Injectable()
export class TenantQuota {
  private readonly logger = new Logger(TenantQuota.name);
  private readonly rate: number;
  private readonly burst: number;
  private readonly instances: number;
  private readonly shared: SharedTokenBucket;
  private readonly lastAnswers = new Map<string, LastAnswer>();
  private readonly fallbackBuckets = new Map<string, LocalTokenBucket>();
  private fallingBack = false;

  constructor(
    config: ConfigService<IngestConfig, true>,
    producer: StreamProducer,
    private readonly metrics: IngestMetrics,
  ) {
    this.rate = config.get('TENANT_QUOTA_PER_SECOND', { infer: true });
    this.burst = config.get('TENANT_QUOTA_BURST', { infer: true });
    this.instances = config.get('TENANT_QUOTA_INSTANCES', { infer: true });
    this.shared = new SharedTokenBucket(
      producer,
      config.get('STREAM_KEY', { infer: true }),
      this.rate,
      this.burst,
    );
  }

  /** Whether TENANT_QUOTA_PER_SECOND is set: when not, take admits everything and need not be called. */
  get enabled(): boolean {
    return this.rate !== 0;
  }

  /**
   * Takes `entries` tokens from the tenant's bucket, or throws: 413 when the batch could never fit the
   * bucket, 429 with Retry-After when it does not fit yet. Nothing is taken from a refused request.
   */
  async take(tenant: string, entries: number): Promise<void> {
    if (this.rate === 0) return;
    if (entries > this.burst) {
      throw new RequestError(
        413,
        `the batch has ${entries} entries; a tenant may send at most ${this.burst} at once (TENANT_QUOTA_BURST)`,
      );
    }
    // Monotonic: a wall clock stepped back (NTP, a resumed VM) would freeze the local bound on old answers.
    const sentAtMs = performance.now();
    const last = this.lastAnswers.get(tenant);
    if (last !== undefined) {
      const atMost = refilled(last.tokens, sentAtMs - last.sentAtMs, this.rate, this.burst);
      if (atMost < entries) {
        this.count('local_bound', false);
        throw this.overQuota(tenant, atMost, entries);
      }
    }
    if (this.shared.isAvailable) {
      let answer: BucketAnswer;
      try {
        answer = await this.shared.take(tenant, entries);
      } catch (error) {
        this.fellBack(error);
        return this.takeLocally(tenant, entries);
      }
      this.recovered();
      this.remember(tenant, { tokens: answer.tokens, sentAtMs });
      this.count('redis', answer.admitted);
      if (!answer.admitted) throw this.overQuota(tenant, answer.tokens, entries);
      return;
    }
    this.fellBack(new Error('the connection is not ready'));
    this.takeLocally(tenant, entries);
  }

  private remember(tenant: string, answer: LastAnswer): void {
    // Answers to concurrent questions may arrive out of order; each is a valid bound, keep the newest.
    const known = this.lastAnswers.get(tenant);
    if (known === undefined || known.sentAtMs <= answer.sentAtMs) this.lastAnswers.set(tenant, answer);
  }

  private takeLocally(tenant: string, entries: number): void {
    let bucket = this.fallbackBuckets.get(tenant);
    if (bucket === undefined) {
      bucket = new LocalTokenBucket(this.rate / this.instances, this.burst / this.instances);
      this.fallbackBuckets.set(tenant, bucket);
    }
    const answer = bucket.take(entries);
    this.count('fallback', answer.admitted);
    if (answer.admitted) return;
    const retryAfter = entries > bucket.burst ? 1 : secondsUntil(answer.tokens, entries, bucket.rate);
    throw new RequestError(
      429,
      `tenant "${tenant}" is over its ingest quota of ${this.rate} entries per second (burst ${this.burst}), held on this instance at 1/${this.instances} of it (TENANT_QUOTA_INSTANCES) while the shared quota in Redis is unavailable; retry after ${retryAfter} s`,
      undefined,
      retryAfter,
    );
  }

  private count(decidedBy: 'redis' | 'local_bound' | 'fallback', admitted: boolean): void {
    this.metrics.quotaDecisions.inc({ decided_by: decidedBy, outcome: admitted ? 'admitted' : 'refused' });
  }

  private overQuota(tenant: string, tokens: number, entries: number): RequestError {
    const retryAfter = secondsUntil(tokens, entries, this.rate);
    return new RequestError(
      429,
      `tenant "${tenant}" is over its ingest quota of ${this.rate} entries per second (burst ${this.burst}) across all ingest instances; retry after ${retryAfter} s`,
      undefined,
      retryAfter,
    );
  }

  private fellBack(error: unknown): void {
    if (this.fallingBack) return;
    this.fallingBack = true;
    this.logger.warn(
      `Shared tenant quota unavailable (${error instanceof Error ? error.message : String(error)}): each tenant is held to 1/${this.instances} of its quota on this instance until Redis answers again`,
    );
  }

  private recovered(): void {
    if (!this.fallingBack) return;
    this.fallingBack = false;
    this.logger.log('Shared tenant quota available again');
  }
}
