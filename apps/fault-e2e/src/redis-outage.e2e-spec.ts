import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { TestSchema } from './support/database';
import { expectExactlyOnce, reconcile } from './support/reconciliation';
import { LoadRun } from './support/load-generator';
import { PrivateRedis } from './support/private-redis';
import { ProcessRegistry, type ServiceProcess } from './support/processes';
import { StreamProbe } from './support/stream';
import { sleep, suiteWorkerEnv, TEST_DATABASE_URL, waitFor } from '@logpipe/e2e-support';

/**
 * Issue 4, "Redis down or restarted": a private redis-server with the stack's persistence (AOF,
 * appendfsync everysec) is killed under load and started again on the same port and data dir.
 * Ingest must answer 503 + Retry-After quickly while it is away and recover by itself; the worker
 * must reconnect and resume; every acknowledged entry must end up stored exactly once.
 */
describe('Redis outage under load', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `fault:${suffix}:redis-stream`;
  const deadKey = `fault:${suffix}:redis-dead`;
  const schema = new TestSchema(TEST_DATABASE_URL);
  const processes = new ProcessRegistry();
  const workerName = `redis-worker-${suffix}`;
  let server: PrivateRedis | undefined;
  let redis: Redis;
  let probe: StreamProbe;
  let ingest: ServiceProcess;
  let worker: ServiceProcess;

  beforeAll(async () => {
    await schema.create();
    server = await PrivateRedis.start();
    // The test's own connection retries quietly while the server is away.
    redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    redis.on('error', () => undefined);
    probe = new StreamProbe(redis, streamKey, deadKey);
    ingest = await processes.startIngest('ingest-redis', { REDIS_URL: server.url, STREAM_KEY: streamKey });
    worker = await processes.startWorker(
      workerName,
      suiteWorkerEnv(
        { redisUrl: server.url, schema: schema.schema, streamKey, deadKey },
        { WORKER_NAME: workerName, BATCH_SIZE: '50', RETRY_BASE_MS: '100', RETRY_MAX_MS: '1000' },
      ),
    );
  });

  afterAll(async () => {
    await processes.stopAll();
    redis?.disconnect();
    await server?.destroy();
    await schema.drop();
  });

  it.each([
    ['redis-sigkill', 'SIGKILL'],
    ['redis-sigterm', 'SIGTERM'],
  ] as const)(
    '%s: 503 + Retry-After while Redis is away, recovery by itself, every 2xx stored exactly once',
    async (scenario, signal) => {
      const redisServer = server as PrivateRedis;
      const pid = worker.pid;
      const load = LoadRun.start({
        scenario,
        target: () => ingest.url,
        durationMs: 30000,
        maxRequests: 5000,
        concurrency: 3,
        maxBatch: 20,
        pauseMs: 20,
      });
      const figuresNotes: Record<string, unknown> = { signal };
      let downAt = 0;
      let upAt = 0;
      try {
        await sleep(800);
        // Hold the worker inside an insert so acknowledged entries pile up in Redis only: what the AOF must keep.
        const release = await schema.blockInserts();
        let addedBeforeKill: number;
        try {
          await waitFor(
            'a backlog in Redis',
            async () => (await probe.backlogEntries()) >= 100 || null,
            10000,
            50,
          );
          addedBeforeKill = await probe.entriesAdded();
          // An XADD in flight as Redis dies may be written and its answer lost: only those may be
          // refused and stored (ingest queues nothing while Redis is away).
          const fault = load.faultStrikes(`redis ${signal}`);
          await redisServer.stop(signal);
          fault.struck();
          downAt = Date.now();
        } finally {
          // The worker's insert now commits; its XACK has to wait for Redis.
          await release();
        }
        await sleep(2500);
        expect(worker.isRunning).toBe(true);
        const workerHealth = await worker.health();
        expect(workerHealth).toMatchObject({ status: 503, body: { checks: { redis: 'down' } } });

        // Coming back is a fault edge too: a request that waited for the connection through the outage
        // sends its XADD the moment ingest's client is ready again, and if the answer then misses the
        // request's deadline (REDIS_COMMAND_TIMEOUT_MS; runWhenReady bounds the wait and the command
        // together) it is refused although Redis wrote it: the likely cause of the one CI run that saw 2
        // refused-but-stored entries with none in flight at the kill. The window lasts until ingest has
        // answered 202 again.
        const recovery = load.faultStrikes(`redis back after ${signal}`);
        await redisServer.start();
        upAt = Date.now();
        const addedAfterRestart = await probe.entriesAdded();
        figuresNotes['entriesAddedBeforeKill'] = addedBeforeKill;
        figuresNotes['entriesAddedAfterRestart'] = addedAfterRestart;
        // The AOF kept every XADD acknowledged before the kill. Counted by entries-added, not XLEN: the
        // worker's trim may remove entries it had acknowledged before it blocked as soon as Redis is back
        // (XLEN fell from 311 to 54 that way in one run, with nothing lost).
        expect(addedAfterRestart).toBeGreaterThanOrEqual(addedBeforeKill);

        await waitFor(
          'ingest accepting again',
          async () => load.answeredSince(upAt).some((o) => o.status === 202) || null,
          10000,
          50,
        );
        recovery.struck();
        figuresNotes['acceptingAfterRestartMs'] =
          Math.min(
            ...load
              .answeredSince(upAt)
              .filter((o) => o.status === 202)
              .map((o) => o.endedAt),
          ) - upAt;
        await sleep(1000);
      } finally {
        await load.finish();
      }

      // Requests sent while Redis was away: each a 503 with Retry-After, answered within about a second.
      const whileDown = load.outcomes.filter((o) => o.startedAt >= downAt + 50 && o.endedAt <= upAt);
      figuresNotes['requestsWhileDown'] = whileDown.length;
      figuresNotes['slowest503Ms'] = Math.max(...whileDown.map((o) => o.endedAt - o.startedAt));
      expect(whileDown.length).toBeGreaterThan(0);
      for (const outcome of whileDown) {
        expect({ status: outcome.status, retryAfter: outcome.retryAfter }).toEqual({
          status: 503,
          retryAfter: '1',
        });
        expect(outcome.endedAt - outcome.startedAt).toBeLessThan(1500);
      }

      const figures = await reconcile(scenario, schema, load, probe, figuresNotes);
      expectExactlyOnce(figures, () => processes.saveLogs(figures.scenario));
      expect(figures.non2xx).toBeGreaterThan(0);
      expect(worker.isRunning).toBe(true);
      expect(worker.pid).toBe(pid);
      expect(await ingest.health()).toMatchObject({ status: 200 });
      expect(await probe.deadLetters()).toEqual([]);
    },
  );
});
