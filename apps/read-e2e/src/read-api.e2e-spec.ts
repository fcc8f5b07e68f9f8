import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { sample, scrape } from './support/metrics';
import { SseClient } from './support/sse';
import {
  type ServiceProcess,
  sleep,
  startIngest,
  startWorker,
  suiteWorkerEnv,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  TestSchema,
  waitFor,
} from '@logpipe/e2e-support';

interface Entry {
  id: string;
  timestamp: string;
  level: string;
  service: string;
  message: string;
  attributes: { region: string; order: { id: number } };
  trace_id?: string;
}

interface Page {
  entries: (Entry & { stream_id: string; received_at: string })[];
  next_cursor: string | null;
}

const SERVICES = ['checkout', 'payments', 'api', 'search'];
const LEVELS = ['debug', 'info', 'info', 'warn', 'error', 'fatal'];
const MESSAGES = ['order placed', 'payment declined', 'cache miss'];
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const BASE_MS = Date.UTC(2026, 0, 1);

/**
 * The read side with real processes: keys and tenants, every query filter on a data set sent through
 * the pipeline, keyset pages while writes go on, the live tail, and the metrics of both processes.
 */
describe('read API end to end', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `read-e2e:${suffix}:stream`;
  const deadKey = `read-e2e:${suffix}:dead`;
  const keys = {
    acme: `acme-${randomBytes(16).toString('hex')}`,
    globex: `globex-${randomBytes(16).toString('hex')}`,
  };
  const schema = new TestSchema('read_e2e');
  const redis = new Redis(TEST_REDIS_URL);
  const started: ServiceProcess[] = [];
  const tails: SseClient[] = [];
  let ingest: ServiceProcess & { url: string };
  let worker: ServiceProcess;

  const seed = (tenant: 'acme' | 'globex', count: number): Entry[] =>
    Array.from({ length: count }, (_, i) => ({
      id: `${tenant}-${i}-${suffix}`,
      timestamp: new Date(BASE_MS + i * 1000).toISOString(),
      level: LEVELS[i % 6],
      service: SERVICES[i % 4],
      message: `${MESSAGES[i % 3]} #${i}`,
      attributes: { region: i % 2 === 0 ? 'eu' : 'us', order: { id: i % 10 } },
      ...(i % 8 === 0 ? { trace_id: TRACE } : {}),
    }));
  const acmeSeed = seed('acme', 240);
  const globexSeed = seed('globex', 60);

  const call = async (method: string, path: string, key: string | undefined, body?: unknown) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) headers['authorization'] = `Bearer ${key}`;
    const response = await fetch(`${ingest.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const count = async (key: string, query = '') =>
    (await call('GET', `/api/logs/count${query}`, key)).body['count'] as number;
  // Log entries ever appended (the producer's counter): XINFO's entries-added counts chunks.
  const entriesAdded = async (): Promise<number> => Number((await redis.get(`${streamKey}:appended`)) ?? 0);

  /** Every event id GET /api/logs returns for `query`, following next_cursor to the last page. */
  const allPages = async (key: string, query: string, between?: () => Promise<void>): Promise<string[]> => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const separator = query ? '&' : '';
      const path: string = `/api/logs?${query}${cursor ? `${separator}cursor=${cursor}` : ''}`;
      const page = (await call('GET', path, key)).body as unknown as Page;
      ids.push(...page.entries.map((e) => e.id));
      cursor = page.next_cursor;
      if (between) await between();
    } while (cursor !== null);
    return ids;
  };

  beforeAll(async () => {
    await schema.create();
    worker = await startWorker(
      'worker-read-e2e',
      suiteWorkerEnv({ schema: schema.name, streamKey, deadKey }),
    );
    started.push(worker);
    ingest = await startIngest('ingest-read-e2e', {
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: streamKey,
      DATABASE_URL: TEST_DATABASE_URL,
      DB_SCHEMA: schema.name,
      API_KEYS: `acme:${keys.acme},globex:${keys.globex}`,
      // The data set is dated 2026-01-01 (fixed, so time filters have fixed answers): a backfill, allowed.
      ENTRY_MAX_AGE: '0',
    });
    started.push(ingest);
  });

  afterAll(async () => {
    tails.forEach((tail) => tail.close());
    await Promise.all(started.map((p) => p.stop('SIGTERM')));
    await redis.del(streamKey, deadKey);
    redis.disconnect();
    await schema.drop();
  });

  it('answers 401 to a missing or wrong key on every API route and writes nothing', async () => {
    const before = await entriesAdded();
    for (const key of [undefined, 'not-a-key-0123456789abcdef', `${keys.acme}0`]) {
      expect((await call('POST', '/api/log', key, acmeSeed[0])).status).toBe(401);
      expect((await call('POST', '/api/logs', key, acmeSeed.slice(0, 5))).status).toBe(401);
      for (const path of ['/api/logs', '/api/logs/count', '/api/logs/tail'])
        expect((await call('GET', path, key)).status).toBe(401);
    }
    expect(await entriesAdded()).toBe(before);
    expect(ingest.logs()).not.toContain(keys.acme);
    expect(ingest.logs()).toContain('API keys required');
  });

  it('stores both data sets, each under the tenant of its key', async () => {
    for (let i = 0; i < acmeSeed.length; i += 80) {
      expect((await call('POST', '/api/logs', keys.acme, acmeSeed.slice(i, i + 80))).status).toBe(202);
    }
    expect((await call('POST', '/api/logs', keys.globex, globexSeed)).status).toBe(202);
    await waitFor('both data sets stored', async () => (await schema.count()) === 300, 30000);
    expect(await schema.count("tenant = 'acme'")).toBe(240);
    expect(await schema.count("tenant = 'globex'")).toBe(60);
  });

  const cases: [string, string, (i: number) => boolean][] = [
    ['no filter', '', () => true],
    ['one service', 'service=checkout', (i) => i % 4 === 0],
    ['two services', 'service=checkout,api', (i) => i % 4 === 0 || i % 4 === 2],
    ['minimum level warn', 'level=warn', (i) => i % 6 >= 3],
    [
      'a time range',
      `from=${new Date(BASE_MS + 50_000).toISOString()}&to=${new Date(BASE_MS + 120_000).toISOString()}`,
      (i) => i >= 50 && i < 120,
    ],
    ['a word', 'q=declined', (i) => i % 3 === 1],
    ['words in another case', 'q=PAYMENT%20Declined', (i) => i % 3 === 1],
    ['a trace id', `trace_id=${TRACE}`, (i) => i % 8 === 0],
    ['a string attribute', 'attr.region=eu', (i) => i % 2 === 0],
    ['a nested number attribute', 'attr.order.id=3', (i) => i % 10 === 3],
    [
      'all of them at once',
      'service=payments,search&level=info&attr.region=us&q=cache',
      (i) => i % 2 === 1 && i % 6 !== 0 && i % 3 === 2,
    ],
  ];

  it.each(cases)('returns exactly the matching rows, newest first, for %s', async (_name, query, matches) => {
    for (const [key, data] of [
      [keys.acme, acmeSeed],
      [keys.globex, globexSeed],
    ] as const) {
      const expected = data
        .map((_, i) => i)
        .filter(matches)
        .reverse()
        .map((i) => data[i].id);
      expect(expected.length).toBeGreaterThan(0);
      await expect(allPages(key, `${query}${query ? '&' : ''}limit=23`)).resolves.toEqual(expected);
      await expect(count(key, query ? `?${query}` : '')).resolves.toBe(expected.length);
    }
  });

  it("never shows one tenant another tenant's rows: reads, counts and attribute filters included", async () => {
    const globexIds = await allPages(keys.globex, 'limit=1000');
    expect(globexIds).toHaveLength(60);
    expect(globexIds.every((id) => id.startsWith('globex-'))).toBe(true);
    await expect(count(keys.globex, `?q=${encodeURIComponent(`#${239}`)}`)).resolves.toBe(0);
    await expect(count(keys.acme, `?q=${encodeURIComponent(`#${239}`)}`)).resolves.toBe(1);
  });

  it('answers 400 naming each bad parameter', async () => {
    const response = await call(
      'GET',
      '/api/logs?level=verbose&limit=0&to=noon&trace_id=xyz&attr.=1',
      keys.acme,
    );
    expect(response.status).toBe(400);
    const named = (response.body['errors'] as { parameter: string }[]).map((e) => e.parameter).sort();
    expect(named).toEqual(['attr.', 'level', 'limit', 'to', 'trace_id']);
  });

  it('visits every row exactly once while new rows keep arriving between pages', async () => {
    let written = 0;
    const writeMore = async () => {
      written++;
      const fresh = [
        { level: 'info', service: 'late', message: `newer ${written}` },
        {
          level: 'info',
          service: 'late',
          message: `inside ${written}`,
          timestamp: new Date(BASE_MS + 100_500).toISOString(),
        },
      ];
      expect((await call('POST', '/api/logs', keys.acme, fresh)).status).toBe(202);
      await sleep(30);
    };
    const seen = await allPages(keys.acme, 'limit=17', writeMore);
    const seeded = seen.filter((id) => id !== null && id.startsWith('acme-'));
    expect(seeded).toHaveLength(240);
    expect(new Set(seeded).size).toBe(240);
    expect(written).toBeGreaterThanOrEqual(14);
  });

  it("tails new entries of the caller's tenant that match its filters, posted after it connected", async () => {
    const acme = new SseClient(`${ingest.url}/api/logs/tail?service=tail-svc&level=warn`, {
      authorization: `Bearer ${keys.acme}`,
    });
    const globex = new SseClient(`${ingest.url}/api/logs/tail?service=tail-svc`, {
      'x-api-key': keys.globex,
    });
    tails.push(acme, globex);
    await acme.waitForEvent('ready');
    await globex.waitForEvent('ready');
    expect(acme.status).toBe(200);
    expect(acme.headers['content-type']).toContain('text/event-stream');
    expect(acme.headers['x-accel-buffering']).toBe('no');

    expect(
      (
        await call('POST', '/api/log', keys.acme, {
          level: 'error',
          service: 'tail-svc',
          message: 'tail hit',
        })
      ).status,
    ).toBe(202);
    expect(
      (
        await call('POST', '/api/logs', keys.acme, [
          { level: 'info', service: 'tail-svc', message: 'too low' },
          { level: 'fatal', service: 'elsewhere', message: 'other service' },
        ])
      ).status,
    ).toBe(202);
    expect(
      (
        await call('POST', '/api/log', keys.globex, {
          level: 'error',
          service: 'tail-svc',
          message: 'globex tail',
        })
      ).status,
    ).toBe(202);

    await waitFor(
      'both tails received their entry',
      async () => acme.entries().length >= 1 && globex.entries().length >= 1,
    );
    await waitFor(
      'the tail entries stored',
      async () => (await schema.count("service IN ('tail-svc', 'elsewhere')")) === 4,
    );
    await sleep(300);
    expect(acme.entries()).toEqual([
      expect.objectContaining({
        message: 'tail hit',
        level: 'error',
        service: 'tail-svc',
        stream_id: expect.any(String),
      }),
    ]);
    expect(globex.entries()).toEqual([expect.objectContaining({ message: 'globex tail' })]);
  });

  it('moves the metrics of ingest and worker as a known workload says', async () => {
    const workerMetricsUrl = `${worker.url}/metrics`;
    const [ingestBefore, workerBefore] = await Promise.all([
      scrape(`${ingest.url}/metrics`),
      scrape(workerMetricsUrl),
    ]);
    const stored = await schema.count();

    const accepted = Array.from({ length: 7 }, (_, i) => ({
      level: 'info',
      service: 'metrics',
      message: `ok ${i}`,
    }));
    expect((await call('POST', '/api/logs', keys.acme, accepted)).status).toBe(202);
    expect(
      (
        await call('POST', '/api/logs', keys.acme, [
          accepted[0],
          { level: 'loud', service: 'm', message: 'x' },
          accepted[1],
        ])
      ).status,
    ).toBe(400);
    expect((await call('POST', '/api/log', undefined, accepted[0])).status).toBe(401);
    expect((await call('POST', '/api/log', 'wrong-key-0123456789abc', accepted[0])).status).toBe(401);
    await waitFor('the 7 accepted entries stored', async () => (await schema.count()) === stored + 7);

    const ingestAfter = await scrape(`${ingest.url}/metrics`);
    const delta = (series: string) => sample(ingestAfter, series) - sample(ingestBefore, series);
    expect(delta('logpipe_ingest_entries_received_total{protocol="logpipe"}')).toBe(12);
    expect(delta('logpipe_ingest_entries_queued_total{protocol="logpipe"}')).toBe(7);
    expect(delta('logpipe_ingest_entries_rejected_total{protocol="logpipe",reason="invalid"}')).toBe(3);
    expect(delta('logpipe_ingest_entries_rejected_total{protocol="logpipe",reason="unauthorized"}')).toBe(2);
    expect(
      delta('logpipe_http_request_duration_seconds_count{method="POST",route="/api/logs",status="202"}'),
    ).toBe(1);

    await waitFor('the worker counted the rows', async () => {
      const workerAfter = await scrape(workerMetricsUrl);
      return (
        sample(workerAfter, 'logpipe_worker_rows_inserted_total') -
          sample(workerBefore, 'logpipe_worker_rows_inserted_total') ===
        7
      );
    });
    const workerAfter = await scrape(workerMetricsUrl);
    expect(sample(workerAfter, 'logpipe_worker_batch_size_count')).toBeGreaterThan(
      sample(workerBefore, 'logpipe_worker_batch_size_count'),
    );
    expect(sample(workerAfter, 'logpipe_worker_insert_duration_seconds_count')).toBeGreaterThan(
      sample(workerBefore, 'logpipe_worker_insert_duration_seconds_count'),
    );
    expect(sample(workerAfter, 'logpipe_stream_group_info_up')).toBe(1);
    expect(workerAfter).toMatch(/^logpipe_stream_pending \d+$/m);
    expect(workerAfter).toMatch(/^logpipe_stream_consumer_lag \d+$/m);
    expect(workerAfter).toMatch(/^logpipe_stream_length \d+$/m);
    expect(workerAfter).toContain('logpipe_worker_dead_lettered_total 0');
    expect(workerAfter).toContain('process_resident_memory_bytes');
  });

  it('drops a tail reader that stops reading, with a bounded buffer, while writes go on at full speed', async () => {
    const small = await startIngest('ingest-read-e2e-small-buffer', {
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: streamKey,
      DATABASE_URL: TEST_DATABASE_URL,
      DB_SCHEMA: schema.name,
      API_KEYS: `acme:${keys.acme}`,
      ENTRY_MAX_AGE: '0',
      TAIL_BUFFER_ENTRIES: '10',
    });
    started.push(small);
    // A client that sends the request and never reads a byte of the answer.
    const { port } = new URL(small.url);
    const stalled = connect(Number(port), '127.0.0.1');
    stalled.pause();
    stalled.write(
      `GET /api/logs/tail?service=bulk HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${keys.acme}\r\n\r\n`,
    );
    try {
      await waitFor(
        'the stalled reader connected',
        async () => sample(await scrape(`${small.url}/metrics`), 'logpipe_tail_readers') === 1,
      );
      const big = 'x'.repeat(60_000);
      for (let batch = 0; batch < 40; batch++) {
        const entries = Array.from({ length: 10 }, (_, i) => ({
          level: 'info',
          service: 'bulk',
          message: `${batch}-${i} ${big}`,
        }));
        const started = Date.now();
        const answer = await fetch(`${small.url}/api/logs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.acme}` },
          body: JSON.stringify(entries),
        });
        expect(answer.status).toBe(202);
        expect(Date.now() - started).toBeLessThan(2000);
      }
      await waitFor(
        'the stalled reader dropped',
        async () => sample(await scrape(`${small.url}/metrics`), 'logpipe_tail_readers_dropped_total') === 1,
      );
      expect(sample(await scrape(`${small.url}/metrics`), 'logpipe_tail_readers')).toBe(0);
    } finally {
      stalled.destroy();
    }
  });

  it('reports Redis, PostgreSQL and the backlog in both readiness answers', async () => {
    const ingestReady = await (await fetch(`${ingest.url}/health/ready`)).json();
    expect(ingestReady).toMatchObject({
      status: 'ok',
      checks: { redis: 'up', postgres: 'up' },
      backlog: { accepting: true, entries: expect.any(Number) },
    });
    const workerReady = await (await fetch(`${worker.url}/health/ready`)).json();
    expect(workerReady).toMatchObject({
      status: 'ok',
      checks: { redis: 'up', postgres: 'up', consumer: 'running' },
      backlog: { entries: expect.any(Number), pending: expect.any(Number), lag: expect.any(Number) },
    });
  });
  it('ends open tails with a last event and exits 0 at SIGTERM', async () => {
    const tail = new SseClient(`${ingest.url}/api/logs/tail`, { authorization: `Bearer ${keys.acme}` });
    tails.push(tail);
    await tail.waitForEvent('ready');
    const exit = await ingest.stop('SIGTERM', 15000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(tail.events.map((e) => e.event)).toContain('shutdown');
    await waitFor('the tail connection closed', async () => tail.ended, 5000);
  });
});
