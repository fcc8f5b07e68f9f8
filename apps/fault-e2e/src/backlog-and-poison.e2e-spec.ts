import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { TestSchema } from './support/database';
import { expectExactlyOnce, reconcile } from './support/reconciliation';
import { LoadRun, post } from './support/load-generator';
import { faultWorkerEnv, ProcessRegistry, type ServiceProcess } from './support/processes';
import { StreamProbe } from './support/stream';
import { sleep, TEST_DATABASE_URL, TEST_REDIS_URL, waitFor } from '@logpipe/e2e-support';

const HIGH_WATER = 400;
const LOW_WATER = 150;
const MAX_BATCH = 20;
const POISON_MAX_ATTEMPTS = 4;

/** Issue 4, "Backlog" and "Poison entries", each with its own ingest, stream and worker. */
describe('backlog and poison entries', () => {
  const suffix = randomBytes(4).toString('hex');
  const schema = new TestSchema(TEST_DATABASE_URL);
  const redis = new Redis(TEST_REDIS_URL);
  const processes = new ProcessRegistry();
  const probes: StreamProbe[] = [];

  const setup = async (
    name: string,
    ingestEnv: Record<string, string>,
    workerEnv: Record<string, string>,
  ) => {
    const streamKey = `fault:${suffix}:${name}`;
    const probe = new StreamProbe(redis, streamKey, `${streamKey}:dead`);
    probes.push(probe);
    const ingest = await processes.startIngest(`ingest-${name}`, {
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: streamKey,
      ...ingestEnv,
    });
    const startWorker = (waitReady = true) =>
      processes.startWorker(
        `worker-${name}`,
        faultWorkerEnv(
          { schema: schema.schema, streamKey, deadKey: probe.deadKey },
          `worker-${name}-${suffix}`,
          workerEnv,
        ),
        waitReady,
      );
    return { ingest, probe, startWorker };
  };

  beforeAll(async () => {
    await schema.create();
  });

  afterAll(async () => {
    await processes.stopAll();
    for (const probe of probes) await probe.delete();
    redis.disconnect();
    await schema.drop();
  });

  it('answers 503 + Retry-After above the high-water mark, keeps the stream bounded, and accepts again under the low-water mark', async () => {
    const { ingest, probe, startWorker } = await setup(
      'backlog',
      {
        BACKLOG_HIGH_WATER: String(HIGH_WATER),
        BACKLOG_LOW_WATER: String(LOW_WATER),
        BACKLOG_CHECK_INTERVAL_MS: '100',
      },
      { BATCH_SIZE: '50' },
    );
    // The backlog in log entries, sampled all along: it must never run away past the mark.
    let maxLength = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxLength = Math.max(maxLength, await probe.backlogEntries());
        await sleep(10);
      }
    })();
    // No worker yet: nothing drains the stream.
    const load = LoadRun.start({
      scenario: 'backlog',
      target: () => ingest.url,
      durationMs: 30000,
      maxRequests: 5000,
      concurrency: 3,
      maxBatch: MAX_BATCH,
      pauseMs: 5,
    });
    let worker: ServiceProcess | undefined;
    const notes: Record<string, unknown> = { highWater: HIGH_WATER, lowWater: LOW_WATER };
    try {
      const firstRefusal = await waitFor(
        'a 503 for the backlog',
        async () => load.outcomes.find((o) => o.status === 503),
        15000,
        20,
      );
      expect(firstRefusal.retryAfter).toBe('1');
      const refusedAt = Date.now();
      await sleep(1000);
      // While over the mark and nothing drains, every answer is a refusal.
      const whileFull = load.outcomes.filter((o) => o.startedAt >= refusedAt);
      expect(whileFull.length).toBeGreaterThan(0);
      expect(whileFull.every((o) => o.status === 503 && o.retryAfter === '1')).toBe(true);
      notes['refusedWhileFull'] = whileFull.length;

      worker = await startWorker();
      const workerAt = Date.now();
      await waitFor(
        'ingest accepting again',
        async () => load.outcomes.some((o) => o.startedAt >= workerAt && o.status === 202) || null,
        15000,
        50,
      );
      await sleep(500);
    } finally {
      await load.finish();
      sampling = false;
      await sampler;
    }
    notes['maxStreamLength'] = maxLength;
    const resumed = ingest
      .logRecords()
      .map((r) => r['message'] as { message?: string; backlog?: number })
      .filter((m) => m?.message === 'backlog under low-water mark: accepting entries again');
    notes['backlogWhenResumed'] = resumed.map((m) => m.backlog);
    const figures = await reconcile('backlog-high-water', schema, load, probe, notes);
    expectExactlyOnce(figures, () => processes.saveLogs(figures.scenario));
    // A backlog 503 means nothing was queued.
    expect(figures.non2xxStored).toBe(0);
    expect(figures.statuses['503']).toBeGreaterThan(0);
    expect(Object.keys(figures.statuses).sort()).toEqual(['202', '503']);
    expect(maxLength).toBeLessThanOrEqual(HIGH_WATER + MAX_BATCH);
    expect(resumed.length).toBeGreaterThan(0);
    for (const m of resumed) expect(m.backlog).toBeLessThanOrEqual(LOW_WATER);
    expect(worker?.isRunning).toBe(true);
  });

  it('dead-letters an entry PostgreSQL refuses after POISON_MAX_ATTEMPTS tries, with the SQL error, and stores the rest of its batch', async () => {
    const { ingest, probe, startWorker } = await setup(
      'poison',
      {},
      { BATCH_SIZE: '100', POISON_MAX_ATTEMPTS: String(POISON_MAX_ATTEMPTS) },
    );
    const worker = await startWorker();
    // After the migration: a CHECK that refuses exactly the messages 'poison-...', counting every
    // time PostgreSQL evaluates it for one of them (a sequence is not rolled back with the insert).
    await schema.pool.query(`CREATE SEQUENCE ${schema.schema}.poison_checks`);
    await schema.pool.query(`
      CREATE FUNCTION ${schema.schema}.not_poison(message text) RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        IF message LIKE 'poison-%' THEN
          PERFORM nextval('${schema.schema}.poison_checks');
          RETURN false;
        END IF;
        RETURN true;
      END $$`);
    await schema.pool.query(
      `ALTER TABLE ${schema.schema}.logs ADD CONSTRAINT logs_no_poison CHECK (${schema.schema}.not_poison(message))`,
    );
    const poisonChecks = async () =>
      Number(
        (
          await schema.pool.query(`SELECT last_value, is_called FROM ${schema.schema}.poison_checks`)
        ).rows.map((r) => (r.is_called ? r.last_value : 0))[0],
      );

    // 1. A poison entry alone: the worker reads a batch of one and tries it exactly POISON_MAX_ATTEMPTS times.
    const alone = await post(
      `${ingest.url}/api/log`,
      JSON.stringify({
        level: 'error',
        service: `poison-alone-${suffix}`,
        message: `poison-alone-${suffix}`,
      }),
    );
    expect(alone.status).toBe(202);
    const aloneDead = await waitFor(
      'the lone poison entry dead-lettered',
      async () => (await probe.deadLetters()).find((d) => d['source-id'] === alone.json?.['id']),
      15000,
    );
    expect(await poisonChecks()).toBe(POISON_MAX_ATTEMPTS);
    expect(aloneDead['reason']).toMatch(
      /^rejected by PostgreSQL: .*violates check constraint "logs_no_poison".*\(SQLSTATE 23514\)$/,
    );

    // 2. Under a load, one request whose batch holds two poison entries among good ones.
    const load = LoadRun.start({
      scenario: 'poison',
      target: () => ingest.url,
      durationMs: 30000,
      maxRequests: 3000,
      concurrency: 2,
      maxBatch: MAX_BATCH,
      pauseMs: 20,
    });
    const mixedService = `${load.service}-mixed`;
    const batch = Array.from({ length: 30 }, (_, i) => ({
      level: 'info',
      service: mixedService,
      message: i === 7 || i === 21 ? `poison-${i}-${load.run}` : `mixed-${i}-${load.run}`,
    }));
    try {
      await sleep(500);
      const mixed = await post(`${ingest.url}/api/logs`, JSON.stringify(batch));
      expect(mixed.status).toBe(202);
      await sleep(1500);
    } finally {
      await load.finish();
    }
    const poisonMessages = batch.filter((e) => e.message.startsWith('poison-')).map((e) => e.message);
    const goodMessages = batch.filter((e) => !e.message.startsWith('poison-')).map((e) => e.message);
    const deadFromBatch = await waitFor(
      'both poison entries dead-lettered',
      async () => {
        const dead = (await probe.deadLetters()).filter((d) =>
          poisonMessages.some((m) => d['data']?.includes(m)),
        );
        return dead.length === poisonMessages.length ? dead : null;
      },
      20000,
      100,
    );
    const figures = await reconcile('poison', schema, load, probe, {
      poisonDeadLettered: deadFromBatch.length + 1,
      mixedGood: goodMessages.length,
      mixedPoison: poisonMessages.length,
      poisonChecks: await poisonChecks(),
    });
    expectExactlyOnce(figures, () => processes.saveLogs(figures.scenario));
    expect(figures.non2xx).toBe(0);
    for (const dead of deadFromBatch) {
      expect(dead['reason']).toMatch(/violates check constraint "logs_no_poison".*\(SQLSTATE 23514\)/);
      expect(dead['consumer']).toBe(`worker-poison-${suffix}`);
    }
    // The rest of that batch is stored, once each; the poison entries are not.
    const stored = await schema.storedMessages(mixedService);
    expect(goodMessages.map((m) => stored.get(m))).toEqual(goodMessages.map(() => 1));
    expect(poisonMessages.map((m) => stored.get(m) ?? 0)).toEqual([0, 0]);
    // Exactly the three poison entries went to the dead-letter stream, and nothing is left pending.
    expect((await probe.deadLetters()).length).toBe(3);
    expect(await probe.drained()).toBe(true);
    expect(worker.isRunning).toBe(true);
  });
});
