import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, waitFor } from '@logpipe/e2e-support';
import { resolveStreamClientOptions, StreamProducer } from '@logpipe/stream-client';
import type { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import { RequestError } from '../http/request-errors';
import type { IngestConfig } from '../ingest.config';
import { IngestMetrics } from '../metrics/ingest.metrics';
import type { BacklogMonitor } from '../backpressure/backlog.monitor';
import { TenantQuota } from './tenant-quota';

const SHARED_REDIS_URL = 'redis://127.0.0.1:6379/0';

async function answersPing(port: number): Promise<boolean> {
  const probe = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

interface Instance {
  quota: TenantQuota;
  producer: StreamProducer;
}

/** One ingest instance's quota: its own connection (as each process has), the same Redis and stream key. */
async function instance(
  redisUrl: string,
  streamKey: string,
  settings: { rate: number; burst: number; instances?: number },
): Promise<Instance> {
  const values = {
    TENANT_QUOTA_PER_SECOND: settings.rate,
    TENANT_QUOTA_BURST: settings.burst,
    TENANT_QUOTA_INSTANCES: settings.instances ?? 1,
    STREAM_KEY: streamKey,
  };
  const config = { get: (name: keyof typeof values) => values[name] } as unknown as ConfigService<
    IngestConfig,
    true
  >;
  const producer = new StreamProducer(
    resolveStreamClientOptions({ redisUrl, streamKey, commandTimeoutMs: 500 }),
  );
  await producer.onModuleInit();
  return { quota: new TenantQuota(config, producer, new IngestMetrics({} as BacklogMonitor)), producer };
}

/** Takes `batch` entries for `tenant` over and over until `untilMs`; resolves the entries admitted. */
async function pushUntil(
  quota: TenantQuota,
  tenant: string,
  batch: number,
  untilMs: number,
): Promise<number> {
  let admitted = 0;
  while (Date.now() < untilMs) {
    try {
      await quota.take(tenant, batch);
      admitted += batch;
    } catch (error) {
      if (!(error instanceof RequestError) || error.statusCode !== 429) throw error;
      // A local refusal settles in a microtask: let timers and sockets run between tries.
      await sleep(2);
    }
  }
  return admitted;
}

/** Takes single entries until the first refusal; resolves how many were admitted. */
async function takeUntilRefused(quota: TenantQuota, tenant: string, limit: number): Promise<number> {
  for (let admitted = 0; admitted < limit; admitted++) {
    try {
      await quota.take(tenant, 1);
    } catch (error) {
      if (!(error instanceof RequestError) || error.statusCode !== 429) throw error;
      return admitted;
    }
  }
  return limit;
}

function uniqueStreamKey(): string {
  return `test:quota:${randomBytes(6).toString('hex')}:stream`;
}

describe('TenantQuota shared in Redis (real Redis)', () => {
  const opened: Instance[] = [];
  afterAll(async () => {
    await Promise.all(opened.map(({ producer }) => producer.onApplicationShutdown()));
  });

  it('two instances together admit the quota, not twice it', async () => {
    const streamKey = uniqueStreamKey();
    const settings = { rate: 400, burst: 200 };
    const [a, b] = await Promise.all([
      instance(SHARED_REDIS_URL, streamKey, settings),
      instance(SHARED_REDIS_URL, streamKey, settings),
    ]);
    opened.push(a, b);
    const started = Date.now();
    const until = started + 2000;
    // Two clients per instance, as concurrent requests would be.
    const admitted = (
      await Promise.all([a, a, b, b].map(({ quota }) => pushUntil(quota, 'acme', 10, until)))
    ).reduce((sum, n) => sum + n, 0);
    const expected = settings.burst + (settings.rate * (Date.now() - started)) / 1000;
    expect(admitted).toBeGreaterThan(expected * 0.9);
    expect(admitted).toBeLessThanOrEqual(expected * 1.02);
  });

  it('keeps one hash per tenant under the stream key, expiring once the bucket would be full again', async () => {
    const streamKey = uniqueStreamKey();
    const one = await instance(SHARED_REDIS_URL, streamKey, { rate: 10, burst: 50 });
    opened.push(one);
    await one.quota.take('globex', 20);
    const inspector = new Redis(SHARED_REDIS_URL);
    try {
      const key = `${streamKey}:quota:{globex}`;
      expect(Number(await inspector.hget(key, 'tokens'))).toBeCloseTo(30, 0);
      // 20 tokens at 10 per second: full again after 2 s; kept 1 s longer.
      const ttl = await inspector.pttl(key);
      expect(ttl).toBeGreaterThan(2000);
      expect(ttl).toBeLessThanOrEqual(3000);
      // A refusal writes nothing; its Retry-After is the time until the bucket holds enough: 10 more at 10/s.
      await expect(one.quota.take('globex', 40)).rejects.toMatchObject({
        statusCode: 429,
        retryAfterSeconds: 1,
      });
      expect(Number(await inspector.hget(key, 'tokens'))).toBeLessThan(31);
    } finally {
      await inspector.quit();
    }
  });

  describe('while Redis is away (a private redis-server, killed by its PID)', () => {
    let port: number;
    let server: ChildProcess | undefined;

    async function startServer(): Promise<void> {
      server = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      await waitFor('the private redis-server to answer PING', () => answersPing(port), 10_000, 50);
    }

    async function killServer(): Promise<void> {
      const child = server;
      server = undefined;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid as number, 'SIGKILL');
      await exited;
    }

    beforeAll(async () => {
      port = await freePort();
      await startServer();
    });
    afterAll(killServer);

    it('falls back to 1/TENANT_QUOTA_INSTANCES of the quota per instance, and back to the shared bucket', async () => {
      const url = `redis://127.0.0.1:${port}/0`;
      const settings = { rate: 1, burst: 100, instances: 2 };
      const [a, b] = await Promise.all([
        instance(url, 'logs:stream', settings),
        instance(url, 'logs:stream', settings),
      ]);
      opened.push(a, b);
      await a.quota.take('acme', 10);

      await killServer();
      await waitFor(
        'both connections to notice Redis is gone',
        async () => !a.producer.isReady && !b.producer.isReady,
        5000,
        20,
      );
      // Each instance admits its share of the burst (50), refuses the rest with 429, never anything else.
      const during = [
        await takeUntilRefused(a.quota, 'acme', 200),
        await takeUntilRefused(b.quota, 'acme', 200),
      ];
      expect(during).toEqual([50, 50]);

      await startServer();
      await waitFor(
        'both connections to come back',
        async () => a.producer.isReady && b.producer.isReady,
        10_000,
        50,
      );
      // The restarted Redis is empty: a full shared bucket again, one burst across both instances (plus
      // the refill of 1 entry per second while the two take).
      const refilledFrom = Date.now();
      const after =
        (await takeUntilRefused(a.quota, 'acme', 60)) + (await takeUntilRefused(b.quota, 'acme', 200));
      expect(after).toBeGreaterThanOrEqual(100);
      expect(after).toBeLessThanOrEqual(100 + Math.ceil((Date.now() - refilledFrom) / 1000));
    });
  });
});
