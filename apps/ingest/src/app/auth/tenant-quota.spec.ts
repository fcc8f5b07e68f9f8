import type { ConfigService } from '@nestjs/config';
import { RequestError } from '../http/request-errors';
import type { IngestConfig } from '../ingest.config';
import { TenantQuota } from './tenant-quota';

function quota(rate: number, burst: number): TenantQuota {
  const values = { TENANT_QUOTA_PER_SECOND: rate, TENANT_QUOTA_BURST: burst };
  return new TenantQuota({ get: (name: keyof typeof values) => values[name] } as unknown as ConfigService<
    IngestConfig,
    true
  >);
}

function refusal(run: () => void): RequestError {
  try {
    run();
  } catch (error) {
    if (error instanceof RequestError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('TenantQuota', () => {
  beforeEach(() => jest.useFakeTimers({ now: Date.UTC(2026, 10, 26) }));
  afterEach(() => jest.useRealTimers());

  it('lets a burst through, then refuses with 429 and a Retry-After that is long enough', () => {
    const limits = quota(10, 50);
    limits.take('acme', 50);
    const refused = refusal(() => limits.take('acme', 20));
    expect(refused.statusCode).toBe(429);
    expect(refused.retryAfterSeconds).toBe(2);
    expect(refused.message).toContain('10 entries per second');
    jest.advanceTimersByTime(1999);
    expect(() => limits.take('acme', 20)).toThrow(RequestError);
    jest.advanceTimersByTime(1);
    expect(() => limits.take('acme', 20)).not.toThrow();
  });

  it('counts entries, not requests, and takes nothing from a refused request', () => {
    const limits = quota(1, 10);
    for (let i = 0; i < 10; i++) limits.take('acme', 1);
    expect(() => limits.take('acme', 1)).toThrow(RequestError);
    jest.advanceTimersByTime(3000);
    expect(() => limits.take('acme', 4)).toThrow(RequestError);
    expect(() => limits.take('acme', 3)).not.toThrow();
  });

  it('keeps one bucket per tenant', () => {
    const limits = quota(1, 5);
    limits.take('acme', 5);
    expect(() => limits.take('globex', 5)).not.toThrow();
    expect(() => limits.take('acme', 1)).toThrow(RequestError);
  });

  it('answers 413, not 429, for a batch that can never fit the bucket', () => {
    expect(refusal(() => quota(10, 50).take('acme', 51)).statusCode).toBe(413);
  });

  it('does nothing with a rate of 0', () => {
    const unlimited = quota(0, 1);
    expect(() => unlimited.take('acme', 1_000_000)).not.toThrow();
  });
});
