import { StreamUnavailableError, type StreamProducer } from '@logpipe/stream-client';
import type { ConfigService } from '@nestjs/config';
import { RequestError } from '../http/request-errors';
import type { IngestConfig } from '../ingest.config';
import { IngestMetrics } from '../metrics/ingest.metrics';
import type { BacklogMonitor } from '../backpressure/backlog.monitor';
import { TenantQuota } from './tenant-quota';
import { LocalTokenBucket } from './token-bucket';

/**
 * A stand-in for the shared bucket's connection: the same token-bucket arithmetic per Redis key, on
 * the (fake) clock, and a switch that takes "Redis" away. The script itself runs against the real
 * Redis in tenant-quota.integration-spec.ts.
 */
class FakeSharedRedis {
  isReady = true;
  failing = false;
  readonly keys: string[] = [];
  private readonly buckets = new Map<string, LocalTokenBucket>();

  defineScript(): void {
    // The arithmetic below stands in for the script.
  }

  async runScript(_scriptName: string, key: string, args: readonly (string | number)[]): Promise<unknown> {
    if (this.failing) throw new StreamUnavailableError('Command timed out');
    this.keys.push(key);
    const [rate, burst, wanted] = args.map(Number);
    const bucket = this.buckets.get(key) ?? new LocalTokenBucket(rate, burst);
    this.buckets.set(key, bucket);
    const answer = bucket.take(wanted);
    return [answer.admitted ? 1 : 0, String(answer.tokens)];
  }
}

function quota(
  rate: number,
  burst: number,
  instances = 1,
): { limits: TenantQuota; redis: FakeSharedRedis; decisions: () => Promise<Record<string, number>> } {
  const values = {
    TENANT_QUOTA_PER_SECOND: rate,
    TENANT_QUOTA_BURST: burst,
    TENANT_QUOTA_INSTANCES: instances,
    STREAM_KEY: 'logs:stream',
  };
  const config = { get: (name: keyof typeof values) => values[name] } as unknown as ConfigService<
    IngestConfig,
    true
  >;
  const redis = new FakeSharedRedis();
  const metrics = new IngestMetrics({} as BacklogMonitor);
  const decisions = async (): Promise<Record<string, number>> =>
    Object.fromEntries(
      (await metrics.quotaDecisions.get()).values.map((v) => [
        `${v.labels.decided_by}:${v.labels.outcome}`,
        v.value,
      ]),
    );
  return { limits: new TenantQuota(config, redis as unknown as StreamProducer, metrics), redis, decisions };
}

async function refusal(taking: Promise<void>): Promise<RequestError> {
  try {
    await taking;
  } catch (error) {
    if (error instanceof RequestError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('TenantQuota', () => {
  beforeEach(() => jest.useFakeTimers({ now: Date.UTC(2026, 10, 26) }));
  afterEach(() => jest.useRealTimers());

  it('takes from the shared bucket, one key per tenant, and answers 429 with a long enough Retry-After', async () => {
    const { limits, redis } = quota(10, 50);
    await limits.take('acme', 50);
    const refused = await refusal(limits.take('acme', 20));
    expect(refused.statusCode).toBe(429);
    expect(refused.retryAfterSeconds).toBe(2);
    expect(refused.message).toContain('10 entries per second (burst 50) across all ingest instances');
    await limits.take('globex', 50);
    expect(new Set(redis.keys)).toEqual(new Set(['logs:stream:quota:{acme}', 'logs:stream:quota:{globex}']));
    jest.advanceTimersByTime(2000);
    await expect(limits.take('acme', 20)).resolves.toBeUndefined();
  });

  it('counts entries and takes nothing from a refused request', async () => {
    const { limits } = quota(1, 10);
    for (let i = 0; i < 10; i++) await limits.take('acme', 1);
    await expect(limits.take('acme', 1)).rejects.toThrow(RequestError);
    jest.advanceTimersByTime(3000);
    await expect(limits.take('acme', 4)).rejects.toThrow(RequestError);
    await expect(limits.take('acme', 3)).resolves.toBeUndefined();
  });

  it('refuses a tenant that is clearly over its quota without asking Redis', async () => {
    const { limits, redis, decisions } = quota(10, 50);
    await limits.take('acme', 50);
    const asked = redis.keys.length;
    jest.advanceTimersByTime(500);
    const refused = await refusal(limits.take('acme', 20));
    expect(refused.statusCode).toBe(429);
    expect(refused.retryAfterSeconds).toBe(2);
    expect(redis.keys.length).toBe(asked);
    // Once the refill since the last answer could cover it, Redis decides again.
    jest.advanceTimersByTime(1500);
    await limits.take('acme', 20);
    expect(redis.keys.length).toBe(asked + 1);
    expect(await decisions()).toEqual({ 'redis:admitted': 2, 'local_bound:refused': 1 });
  });

  it('answers 413, not 429, for a batch that can never fit the bucket, and asks Redis nothing', async () => {
    const { limits, redis } = quota(10, 50);
    expect((await refusal(limits.take('acme', 51))).statusCode).toBe(413);
    expect(redis.keys).toEqual([]);
  });

  it('does nothing with a rate of 0', async () => {
    const { limits, redis } = quota(0, 1);
    await expect(limits.take('acme', 1_000_000)).resolves.toBeUndefined();
    expect(redis.keys).toEqual([]);
  });

  it('while Redis is away, holds each tenant to 1/TENANT_QUOTA_INSTANCES of the quota on this instance', async () => {
    const { limits, redis } = quota(10, 50, 2);
    redis.isReady = false;
    await limits.take('acme', 25);
    const refused = await refusal(limits.take('acme', 5));
    expect(refused.statusCode).toBe(429);
    // 5 tokens at 5 per second: 1 s.
    expect(refused.retryAfterSeconds).toBe(1);
    expect(refused.message).toContain(
      '1/2 of it (TENANT_QUOTA_INSTANCES) while the shared quota in Redis is unavailable',
    );
    // A batch above this instance's share of the burst cannot fit until Redis is back.
    jest.advanceTimersByTime(60_000);
    expect((await refusal(limits.take('acme', 26))).retryAfterSeconds).toBe(1);
    expect(redis.keys).toEqual([]);
  });

  it('falls back when a shared take fails, never answering 500, and returns to Redis when it answers', async () => {
    const { limits, redis, decisions } = quota(10, 50, 2);
    redis.failing = true;
    await limits.take('acme', 25);
    expect((await refusal(limits.take('acme', 1))).statusCode).toBe(429);
    redis.failing = false;
    await limits.take('acme', 50);
    expect(redis.keys).toEqual(['logs:stream:quota:{acme}']);
    expect(await decisions()).toEqual({
      'fallback:admitted': 1,
      'fallback:refused': 1,
      'redis:admitted': 1,
    });
  });
});
