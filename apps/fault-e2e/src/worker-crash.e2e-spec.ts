import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { TestSchema } from './support/database';
import { printLine } from './support/fault-results';
import { expectExactlyOnce, reconcile } from './support/reconciliation';
import { LoadRun } from './support/load-generator';
import { ProcessRegistry, type ServiceProcess } from './support/processes';
import { StreamProbe } from './support/stream';
import { sleep, suiteWorkerEnv, TEST_DATABASE_URL, TEST_REDIS_URL, waitFor } from '@logpipe/e2e-support';

/** A whole number in [min, max], for kill moments that differ from run to run. */
const randomBetween = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

/**
 * Issue 4, worker faults: workers killed at any moment (SIGKILL), killed between commit and XACK
 * (failpoint), stopped with SIGTERM, killed and never restarted, and several workers sharing one
 * group. Each scenario runs a bounded load through a real ingest and reconciles by message.
 */
describe('worker faults under load', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `fault:${suffix}:stream`;
  const deadKey = `fault:${suffix}:dead`;
  const schema = new TestSchema(TEST_DATABASE_URL);
  const redis = new Redis(TEST_REDIS_URL);
  const probe = new StreamProbe(redis, streamKey, deadKey);
  const processes = new ProcessRegistry();
  let ingest: ServiceProcess;
  const workers = new Set<ServiceProcess>();

  const workerEnv = (extra: Record<string, string> = {}) =>
    suiteWorkerEnv(
      { schema: schema.schema, streamKey, deadKey },
      { BATCH_SIZE: '50', RETRY_BASE_MS: '100', RETRY_MAX_MS: '1000', TRIM_INTERVAL_MS: '500', ...extra },
    );
  const startWorker = async (name: string, extra: Record<string, string> = {}, waitReady = true) => {
    const worker = await processes.startWorker(name, workerEnv({ WORKER_NAME: name, ...extra }), waitReady);
    workers.add(worker);
    return worker;
  };
  const stopWorkers = async () => {
    await Promise.all([...workers].map((w) => w.stop('SIGTERM')));
    workers.clear();
  };
  // Bounded by a cap in time and requests; each test stops it as soon as its faults are done.
  const startLoad = (scenario: string) =>
    LoadRun.start({
      scenario,
      target: () => ingest.url,
      durationMs: 40000,
      maxRequests: 6000,
      concurrency: 3,
      maxBatch: 20,
      pauseMs: 20,
    });
  /** Kills `worker` while it is blocked inside its INSERT (the table is locked meanwhile); returns what it left pending. */
  const killDuringInsert = async (worker: ServiceProcess, name: string) => {
    const release = await schema.blockInserts();
    try {
      await waitFor(
        `${name} blocked in its insert`,
        async () => ((await probe.pendingOf(name)) > 0 && (await schema.insertsWaiting()) > 0) || null,
        10000,
        20,
      );
      expect((await worker.stop('SIGKILL')).signal).toBe('SIGKILL');
      return await probe.pendingOf(name);
    } finally {
      // The dead worker's INSERT may still commit once the lock is gone: the redelivery must skip it.
      await release();
    }
  };

  beforeAll(async () => {
    await schema.create();
    ingest = await processes.startIngest('ingest-fault', {
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: streamKey,
    });
    // The first worker migrates the schema; the others find it done.
    await startWorker(`migrate-${suffix}`);
    await stopWorkers();
  });

  afterAll(async () => {
    await processes.stopAll();
    await probe.delete();
    redis.disconnect();
    await schema.drop();
  });

  afterEach(async () => {
    await stopWorkers();
  });

  it('loses and duplicates nothing when the worker is SIGKILLed at random moments and in its insert, and restarted under its name', async () => {
    const name = `steady-${suffix}`;
    let worker = await startWorker(name);
    const load = startLoad('worker-sigkill');
    const pendingAtKill: number[] = [];
    try {
      for (let kill = 0; kill < 2; kill++) {
        await sleep(randomBetween(300, 1500));
        const exit = await worker.stop('SIGKILL');
        expect(exit.signal).toBe('SIGKILL');
        // Whatever it had read but not acknowledged (mid-read, mid-insert, or committed) stays pending.
        pendingAtKill.push(await probe.pendingOf(name));
        workers.delete(worker);
        worker = await startWorker(name);
      }
      await sleep(300);
      const pendingInInsert = await killDuringInsert(worker, name);
      expect(pendingInInsert).toBeGreaterThan(0);
      pendingAtKill.push(pendingInInsert);
      workers.delete(worker);
      worker = await startWorker(name);
      await sleep(500);
    } finally {
      await load.finish();
    }
    const figures = await reconcile('worker-sigkill', schema, load, probe, {
      kills: 3,
      pendingAtKill,
    });
    expectExactlyOnce(figures, () => processes.saveLogs(figures.scenario));
    // Killing workers never touches ingest: every request was accepted.
    expect(figures.non2xx).toBe(0);
    expect(await probe.deadLetters()).toEqual([]);
  });

  it('loses and duplicates nothing when workers die between commit and XACK (crash-after-commit failpoint)', async () => {
    const load = startLoad('worker-crash-after-commit');
    const pendingAfterCrash: number[] = [];
    try {
      for (let round = 0; round < 2; round++) {
        const name = `crashy-${round}-${suffix}`;
        const crashing = await startWorker(name, { LOGPIPE_FAILPOINT: 'crash-after-commit' }, false);
        const exit = await crashing.exitWithin(20000);
        expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
        workers.delete(crashing);
        // Its first batch is committed in PostgreSQL but still pending in Redis.
        const stranded = await probe.pendingIds(name);
        expect(stranded.length).toBeGreaterThan(0);
        pendingAfterCrash.push(stranded.length);
        // Back under the same name, it reads its own pending entries first; the insert skips them.
        await startWorker(name);
        await waitFor(
          `${name}'s stranded entries acknowledged`,
          async () => {
            const pending = new Set(await probe.pendingIds());
            return stranded.every((id) => !pending.has(id)) || null;
          },
          15000,
        );
      }
      await sleep(500);
    } finally {
      await load.finish();
    }
    const figures = await reconcile('worker-crash-after-commit', schema, load, probe, {
      crashes: 2,
      pendingAfterCrash,
    });
    expectExactlyOnce(figures, () => processes.saveLogs(figures.scenario));
    expect(figures.non2xx).toBe(0);
    expect(await probe.deadLetters()).toEqual([]);
  });

  it('finishes and acknowledges the batch in flight when the worker gets SIGTERM under load, and exits 0', async () => {
    const name = `graceful-${suffix}`;
    let worker = await startWorker(name);
    const load = startLoad('worker-sigterm');
    const exits: unknown[] = [];
    try {
      for (let stop = 0; stop < 2; stop++) {
        await sleep(randomBetween(300, 1200));
        const exit = await worker.stop('SIGTERM');
        exits.push(exit);
        expect(exit).toEqual({ code: 0, signal: null });
        // Nothing read by the stopped worker is left waiting for it.
        expect(await probe.pendingOf(name)).toBe(0);
        workers.delete(worker);
        worker = await startWorker(name);
      }
      await sleep(300);
    } finally {
      await load.finish();
    }
    const figures = await reconcile('worker-sigterm', schema, load, probe, { sigterms: 2 });
    expectExactlyOnce(figures, () => processes.saveLogs(figures.scenario));
    expect(figures.non2xx).toBe(0);
  });

  it('has a live worker claim the entries of workers that crashed and never came back', async () => {
    // Idle long enough that the survivor cannot claim a victim's entries before the test has counted
    // them as stranded: with 1000 ms, a slow CI machine once let it take them between the victim's block
    // and its kill, and the victim was found with nothing pending.
    const survivor = await startWorker(`survivor-${suffix}`, {
      CLAIM_IDLE_MS: '5000',
      CLAIM_INTERVAL_MS: '200',
    });
    const load = startLoad('worker-abandoned');
    const stranded: Record<string, number> = {};
    try {
      // One dies between commit and XACK (its batch is stored but pending) ...
      const committed = `gone-committed-${suffix}`;
      const crashing = await startWorker(committed, { LOGPIPE_FAILPOINT: 'crash-after-commit' }, false);
      expect(await crashing.exitWithin(20000)).toEqual({ code: null, signal: 'SIGKILL' });
      workers.delete(crashing);
      stranded[committed] = await probe.pendingOf(committed);
      expect(stranded[committed]).toBeGreaterThan(0);

      // ... another is SIGKILLed while blocked in its insert.
      const inserting = `gone-inserting-${suffix}`;
      const victim = await startWorker(inserting);
      stranded[inserting] = await killDuringInsert(victim, inserting);
      workers.delete(victim);
      expect(stranded[inserting]).toBeGreaterThan(0);
      // Neither comes back; the survivor must take their entries over (idle > CLAIM_IDLE_MS).
      await waitFor(
        'stranded entries claimed',
        async () => {
          const pending = await probe.pendingByConsumer();
          return Object.keys(stranded).every((name) => pending[name] === 0) || null;
        },
        20000,
        200,
      );
    } finally {
      await load.finish();
    }
    const figures = await reconcile('worker-abandoned-claimed', schema, load, probe, {
      stranded,
    });
    expectExactlyOnce(figures, () => processes.saveLogs(figures.scenario));
    expect(figures.non2xx).toBe(0);
    expect(survivor.logs()).toContain('took over entries idle on another consumer');
    expect(await probe.deadLetters()).toEqual([]);
  });

  it('shares one load between three workers of the same group, storing each entry once', async () => {
    const names = [1, 2, 3].map((n) => `share-${n}-${suffix}`);
    const sharing = await Promise.all(names.map((name) => startWorker(name, { LOG_LEVEL: 'debug' })));
    const load = startLoad('workers-shared');
    await sleep(5000);
    await load.finish();
    const figures = await reconcile('workers-shared', schema, load, probe);
    const storedBy = Object.fromEntries(
      sharing.map((worker, i) => [
        names[i],
        worker
          .logRecords()
          .map((r) => r['message'] as { message?: string; inserted?: number })
          .filter((m) => m?.message === 'batch stored')
          .reduce((sum, m) => sum + (m.inserted ?? 0), 0),
      ]),
    );
    figures.notes = { storedBy };
    printLine(`workers-shared: rows inserted per worker ${JSON.stringify(storedBy)}`);
    expectExactlyOnce(figures, () => processes.saveLogs(figures.scenario));
    expect(figures.non2xx).toBe(0);
    for (const name of names) expect(storedBy[name]).toBeGreaterThan(0);
    // Every row of this load was written by one of the three (they may also have written leftovers of an earlier test).
    expect(Object.values(storedBy).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(figures.rows);
  });
});
