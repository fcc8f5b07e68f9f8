import Redis from 'ioredis';
import { LogTable } from './support/database';
import { expectExactlyOnce, reconcile } from './support/reconciliation';
import { LoadRun, post } from './support/load-generator';
import { StreamProbe } from './support/stream';
import { findFreePortBase, isProcessAlive, PrivateStack, sleep, waitFor } from '@logpipe/e2e-support';

const RATE_LIMIT_RPS = 100;
const RATE_LIMIT_BURST = 50;
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Issue 3's checks through the real nginx in front of the real stack (tools/stack/cli.mjs up
 * --detach in a temp state dir on free ports): balancing over both ingest instances, failover when
 * one is SIGKILLed under load, the per-client rate limit (429) and the body limit (413).
 */
describe('nginx in front of the stack', () => {
  let stack: PrivateStack;
  let nginx: string;
  let table: LogTable;
  let redis: Redis;
  let probe: StreamProbe;

  beforeAll(async () => {
    stack = new PrivateStack(await findFreePortBase(18600), {
      RATE_LIMIT_RPS: String(RATE_LIMIT_RPS),
      RATE_LIMIT_BURST: String(RATE_LIMIT_BURST),
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      LOG_LEVEL: 'info',
    });
    stack.up();
    nginx = stack.env['NGINX_URL'];
    table = new LogTable(stack.env['DATABASE_URL'], 'public');
    redis = new Redis(stack.env['REDIS_URL']);
    probe = new StreamProbe(redis, 'logs:stream', 'logs:dead');
  }, 180000);

  afterAll(async () => {
    redis?.disconnect();
    await table?.close().catch(() => undefined);
    stack?.down();
  }, 150000);

  it('stores a log posted to nginx, and spreads a few hundred requests over both ingest instances', async () => {
    const message = `through nginx ${Date.now()}`;
    const one = await post(
      `${nginx}/api/log`,
      JSON.stringify({ level: 'info', service: 'nginx-single', message }),
    );
    expect(one.status).toBe(202);
    expect(['ingest-1', 'ingest-2']).toContain(one.headers.get('x-logpipe-instance'));
    await waitFor(
      'the entry in PostgreSQL',
      async () => (await table.storedMessages('nginx-single')).get(message) === 1,
      15000,
    );

    // The pause keeps every load of this file under RATE_LIMIT_RPS (3 lanes / 40 ms = 75 requests/s at most).
    const load = LoadRun.start({
      scenario: 'nginx-balanced',
      target: () => nginx,
      durationMs: 20000,
      maxRequests: 200,
      concurrency: 3,
      maxBatch: 5,
      pauseMs: 40,
    });
    await load.done;
    const servedBy: Record<string, number> = {};
    for (const o of load.outcomes) servedBy[o.instance ?? 'none'] = (servedBy[o.instance ?? 'none'] ?? 0) + 1;
    const figures = await reconcile('nginx-balanced', table, load, probe, { servedBy });
    expectExactlyOnce(figures, () => stack.saveLogs(figures.scenario));
    expect(figures.requests).toBe(200);
    expect(figures.non2xx).toBe(0);
    expect(servedBy['ingest-1']).toBeGreaterThan(20);
    expect(servedBy['ingest-2']).toBeGreaterThan(20);
    expect(servedBy['ingest-1'] + servedBy['ingest-2']).toBe(200);
  });

  it('keeps accepting through the other instance when one ingest is SIGKILLed under load; every 2xx is stored exactly once', async () => {
    const added = await probe.entriesAdded();
    const accessLogBefore = stack.accessLog().length;
    // Client ids, as README recommends: a request nginx retries after the dead instance had already
    // queued it must not become a second row.
    // Batches of up to 30 padded entries (up to ~50 KB), so requests are in flight when the instance dies.
    const load = LoadRun.start({
      scenario: 'nginx-ingest-sigkill',
      target: () => nginx,
      durationMs: 20000,
      maxRequests: 2000,
      concurrency: 3,
      maxBatch: 30,
      paddingBytes: 1500,
      pauseMs: 40,
      clientIds: true,
    });
    const victim = stack.pid('ingest-1');
    let killAt = 0;
    try {
      await sleep(1500);
      expect(load.outcomes.filter((o) => o.instance === 'ingest-1').length).toBeGreaterThan(0);
      killAt = Date.now();
      // A request ingest-1 had queued when it died is refused (502) yet stored: only those may be.
      const fault = load.faultStrikes('ingest-1 SIGKILL');
      process.kill(victim, 'SIGKILL');
      await waitFor('ingest-1 gone', async () => !isProcessAlive(victim), 5000, 20);
      fault.struck();
      await sleep(3000);
    } finally {
      await load.finish();
    }
    const inFlightAtKill = load.outcomes.filter((o) => o.startedAt <= killAt && o.endedAt >= killAt);
    const failed = load.outcomes.filter((o) => o.status !== 202);
    const afterKill = load.outcomes.filter((o) => o.startedAt > killAt + 200);
    const retried = stack
      .accessLog()
      .slice(accessLogBefore)
      .filter((line) => String(line['upstream_addr']).includes(','));
    const entriesAdded = (await probe.entriesAdded()) - added;
    const figures = await reconcile('nginx-ingest-sigkill', table, load, probe, {
      inFlightAtKill: inFlightAtKill.length,
      failedRequests: failed.length,
      nginxRetriedOnOtherInstance: retried.length,
      // Stream entries beyond the acknowledged ones: retries of requests the dead instance had queued (the client id keeps one row).
      streamEntriesBeyondAcked: entriesAdded - load.acked.length,
    });
    expectExactlyOnce(figures, () => stack.saveLogs(figures.scenario));
    // Only requests in flight at the kill may fail; everything sent afterwards is served by ingest-2.
    for (const o of failed) expect(o.startedAt).toBeLessThanOrEqual(killAt + 200);
    expect(afterKill.length).toBeGreaterThan(20);
    expect(afterKill.every((o) => o.status === 202 && o.instance === 'ingest-2')).toBe(true);
    expect(figures.statuses['429']).toBeUndefined();
  });

  it('answers 429 with Retry-After to a client over the rate limit, and 413 to a body over the limit, queuing nothing for either', async () => {
    await sleep(1500); // let the client's rate budget refill after the previous load
    // 600 requests at once: whatever the machine's speed, far over RATE_LIMIT_BURST plus what
    // RATE_LIMIT_RPS allows in the few seconds they take.
    const load = LoadRun.start({
      scenario: 'nginx-rate-limit',
      target: () => nginx,
      durationMs: 10000,
      maxRequests: 600,
      concurrency: 600,
      maxBatch: 1,
    });
    await load.done;
    const limited = load.outcomes.filter((o) => o.status === 429);
    const figures = await reconcile('nginx-rate-limit', table, load, probe, {
      limited: limited.length,
    });
    expectExactlyOnce(figures, () => stack.saveLogs(figures.scenario));
    expect(limited.length).toBeGreaterThan(0);
    expect(figures.statuses['202']).toBeGreaterThanOrEqual(RATE_LIMIT_BURST);
    expect(limited.length + figures.statuses['202']).toBe(600);
    // 429 means nothing was queued.
    expect(figures.non2xxStored).toBe(0);
    for (const o of limited) {
      expect(o.retryAfter).toBe('1');
      expect(o.instance).toBeNull();
      expect(JSON.parse(o.errorBody ?? '{}')).toMatchObject({
        statusCode: 429,
        message: expect.stringContaining('Rate limit'),
      });
    }

    await sleep(1500);
    const added = await probe.entriesAdded();
    const big = JSON.stringify([
      { level: 'info', service: 'nginx-too-big', message: 'x'.repeat(MAX_BODY_BYTES) },
    ]);
    const tooLarge = await post(`${nginx}/api/logs`, big);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    // nginx answered it itself: no ingest instance saw the body.
    expect(tooLarge.headers.get('x-logpipe-instance')).toBeNull();
    expect(await probe.entriesAdded()).toBe(added);
    expect(await table.count('nginx-too-big')).toBe(0);
  });
});
