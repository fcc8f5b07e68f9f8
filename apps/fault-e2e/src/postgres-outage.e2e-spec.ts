import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { LogTable } from './support/database';
import { expectExactlyOnce, reconcile } from './support/reconciliation';
import { LoadRun } from './support/load-generator';
import { PrivatePostgres } from './support/private-postgres';
import { ProcessRegistry, type ServiceProcess } from './support/processes';
import { StreamProbe } from './support/stream';
import { sleep, suiteWorkerEnv, TEST_REDIS_URL, waitFor } from '@logpipe/e2e-support';

/**
 * Issue 4, "PostgreSQL down": a private cluster (its own port and data dir under /tmp) is stopped
 * under load and started again. The worker must keep its batch unacknowledged, report not-ready,
 * stay alive, and catch up exactly once when the database is back.
 */
describe('PostgreSQL outage under load', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `fault:${suffix}:pg-stream`;
  const deadKey = `fault:${suffix}:pg-dead`;
  const redis = new Redis(TEST_REDIS_URL);
  const probe = new StreamProbe(redis, streamKey, deadKey);
  const processes = new ProcessRegistry();
  const workerName = `pg-worker-${suffix}`;
  let postgres: PrivatePostgres | undefined;
  let table: LogTable;
  let ingest: ServiceProcess;
  let worker: ServiceProcess;

  beforeAll(async () => {
    postgres = await PrivatePostgres.create();
    await postgres.start();
    table = new LogTable(postgres.url, 'public');
    ingest = await processes.startIngest('ingest-pg', { REDIS_URL: TEST_REDIS_URL, STREAM_KEY: streamKey });
    worker = await processes.startWorker(
      workerName,
      suiteWorkerEnv(
        { databaseUrl: postgres.url, streamKey, deadKey },
        { WORKER_NAME: workerName, BATCH_SIZE: '50', RETRY_BASE_MS: '100', RETRY_MAX_MS: '1000' },
      ),
    );
  });

  afterAll(async () => {
    await processes.stopAll();
    await table?.close().catch(() => undefined);
    await postgres?.destroy();
    await probe.delete();
    redis.disconnect();
  });

  it.each([
    ['postgres-stop-fast', 'SIGINT'],
    ['postgres-stop-immediate', 'SIGQUIT'],
  ] as const)(
    '%s: the worker keeps its batch, reports not-ready, does not crash, and catches up exactly once',
    async (scenario, signal) => {
      const db = postgres as PrivatePostgres;
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
      const outage: Record<string, unknown> = { signal };
      try {
        await sleep(1000);
        await db.stop(signal);
        const downAt = Date.now();
        const notReady = await waitFor(
          'worker readiness 503 with postgres down',
          async () => {
            const health = await worker.health();
            return health?.status === 503 &&
              (health.body['checks'] as Record<string, string>)['postgres'] === 'down'
              ? health
              : null;
          },
          10000,
          100,
        );
        outage['notReadyAfterMs'] = Date.now() - downAt;
        expect(notReady.body).toMatchObject({ status: 'unavailable', checks: { postgres: 'down' } });

        // The batch it holds stays pending (not acknowledged), and it reads nothing more meanwhile.
        await waitFor(
          'the worker holding a batch',
          async () => (await probe.pendingOf(workerName)) > 0 || null,
          5000,
          50,
        );
        // A read begun just before the insert failed may still be completing; then nothing more is read.
        await sleep(500);
        const heldFirst = await probe.pendingOf(workerName);
        await sleep(2500);
        const heldLater = await probe.pendingOf(workerName);
        outage['pendingWhileDown'] = [heldFirst, heldLater];
        expect(heldLater).toBe(heldFirst);
        expect(worker.isRunning).toBe(true);
        expect(worker.pid).toBe(pid);

        await db.start();
        outage['downForMs'] = Date.now() - downAt;
        await waitFor(
          'worker ready again',
          async () => (await worker.health())?.status === 200 || null,
          20000,
          100,
        );
        outage['readyAfterRestartMs'] = Date.now() - downAt - (outage['downForMs'] as number);
        await sleep(1000);
      } finally {
        await load.finish();
      }
      const retries = worker
        .logRecords()
        .filter(
          (r) =>
            (r['message'] as { message?: string })?.message ===
            'PostgreSQL unavailable; keeping the batch and retrying',
        ).length;
      const figures = await reconcile(scenario, table, load, probe, {
        ...outage,
        retryWarnings: retries,
      });
      expectExactlyOnce(figures, () => processes.saveLogs(figures.scenario));
      // Ingest only needs Redis: the database outage costs clients nothing.
      expect(figures.non2xx).toBe(0);
      expect(worker.isRunning).toBe(true);
      expect(worker.pid).toBe(pid);
      expect(worker.logs()).toContain('PostgreSQL is reachable again; resuming');
      expect(await probe.deadLetters()).toEqual([]);
    },
  );
});
