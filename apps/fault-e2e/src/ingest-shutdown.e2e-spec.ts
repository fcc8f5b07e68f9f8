import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { TestSchema } from './support/database';
import { expectExactlyOnce, reconcile } from './support/reconciliation';
import { LoadRun } from './support/load-generator';
import { ProcessRegistry, type ServiceProcess } from './support/processes';
import { StreamProbe } from './support/stream';
import { sleep, suiteWorkerEnv, TEST_DATABASE_URL, TEST_REDIS_URL } from '@logpipe/e2e-support';

/**
 * Issue 4, "Shutdown" on the ingest side: SIGTERM under load stops accepting, lets the requests in
 * flight finish (their 202s are real: stored), and exits 0. Requests refused or cut off are not
 * 2xx, so the client retries them.
 */
describe('ingest SIGTERM under load', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `fault:${suffix}:shutdown-stream`;
  const deadKey = `fault:${suffix}:shutdown-dead`;
  const schema = new TestSchema(TEST_DATABASE_URL);
  const redis = new Redis(TEST_REDIS_URL);
  const probe = new StreamProbe(redis, streamKey, deadKey);
  const processes = new ProcessRegistry();
  let ingest: ServiceProcess;

  beforeAll(async () => {
    await schema.create();
    [ingest] = await Promise.all([
      processes.startIngest('ingest-sigterm', { REDIS_URL: TEST_REDIS_URL, STREAM_KEY: streamKey }),
      processes.startWorker(
        `worker-shutdown-${suffix}`,
        suiteWorkerEnv({ schema: schema.schema, streamKey, deadKey }),
      ),
    ]);
  });

  afterAll(async () => {
    await processes.stopAll();
    await probe.delete();
    redis.disconnect();
    await schema.drop();
  });

  it('finishes the requests in flight with 202, stores them, answers nothing else with 202, and exits 0', async () => {
    // Large batches (about 100 KB each) from six lanes, so requests are in flight at the signal.
    const load = LoadRun.start({
      scenario: 'ingest-sigterm',
      target: () => ingest.url,
      durationMs: 20000,
      maxRequests: 3000,
      concurrency: 6,
      maxBatch: 50,
      paddingBytes: 2000,
      pauseMs: 5,
    });
    let signalAt = 0;
    let exit;
    try {
      await sleep(1500);
      // Signal while requests are in flight: between the lanes' pauses and fast answers, a fixed
      // moment sometimes found none (seen once in CI), and then there is nothing to drain. Three at once
      // took longer than 3 s to come about once ingest got faster (2026-12-01), so it waits up to 10 s.
      const deadline = Date.now() + 10000;
      while (load.inFlight < 3 && Date.now() < deadline) await sleep(1);
      signalAt = Date.now();
      exit = await ingest.stop('SIGTERM', 15000);
      // The load goes on against the closed port for a moment: those requests must all fail.
      await sleep(500);
    } finally {
      await load.finish();
    }
    expect(exit).toEqual({ code: 0, signal: null });
    // signalAt was read before the signal was sent: a request started in that same millisecond was in flight.
    const inFlight = load.outcomes.filter((o) => o.startedAt <= signalAt && o.endedAt >= signalAt);
    const finishedWith202 = inFlight.filter((o) => o.status === 202);
    const afterExit = load.outcomes.filter((o) => o.startedAt > signalAt + 100);
    const notes = {
      inFlightAtSigterm: inFlight.length,
      inFlightFinished202: finishedWith202.length,
      inFlightOther: Object.fromEntries(Object.entries(countBy(inFlight.filter((o) => o.status !== 202)))),
      requestsAfterSigterm: afterExit.length,
      exitCode: exit.code,
    };
    const figures = await reconcile('ingest-sigterm', schema, load, probe, notes);
    expectExactlyOnce(figures, () => processes.saveLogs(figures.scenario));
    // Draining is real: requests that were in flight at SIGTERM were answered 202 (and are stored, above).
    expect(finishedWith202.length).toBeGreaterThan(0);
    // Nothing started after the signal was accepted.
    expect(afterExit.length).toBeGreaterThan(0);
    expect(afterExit.filter((o) => o.status === 202)).toEqual([]);
    expect(ingest.logs()).not.toMatch(/"level":"(error|fatal)"/);
  });
});

function countBy(outcomes: { status: number | null; error?: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.status === null ? (o.error ?? 'no-answer') : String(o.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
