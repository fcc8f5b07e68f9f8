import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  type ServiceProcess,
  sleep,
  startIngest,
  startWorker,
  suiteWorkerEnv,
  TEST_REDIS_URL,
  tallyByKey,
  TestSchema,
  waitFor,
} from '@logpipe/e2e-support';

/** What ingest answers: 202 {status, id | count}, or an error {statusCode, message, errors}. */
interface IngestAnswer {
  status?: string;
  id?: string;
  count: number;
  message?: string;
  errors?: unknown[];
}

/**
 * The core path with real processes: HTTP -> ingest (built bundle) -> Redis Stream -> worker
 * (built bundle) -> PostgreSQL, including the crash and shutdown cases of the delivery guarantee.
 */
describe('pipeline end to end', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `e2e:${suffix}:stream`;
  const deadKey = `e2e:${suffix}:dead`;
  const schema = new TestSchema();
  const redis = new Redis(TEST_REDIS_URL);
  const started: ServiceProcess[] = [];
  let ingest: ServiceProcess & { url: string };
  let worker: ServiceProcess;

  const workerEnv = (extra: Record<string, string> = {}) =>
    suiteWorkerEnv({ schema: schema.name, streamKey, deadKey }, extra);
  const launchWorker = async (name: string, extra: Record<string, string> = {}, waitReady = true) => {
    const process = await startWorker(name, workerEnv(extra), waitReady);
    started.push(process);
    return process;
  };
  const post = async (
    path: string,
    body: string | Buffer,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => {
    const response = await fetch(`${ingest.url}${path}`, { method: 'POST', body, headers });
    return { status: response.status, body: (await response.json()) as IngestAnswer };
  };
  const pendingOf = async (consumer?: string): Promise<number> => {
    if (!consumer) return ((await redis.xpending(streamKey, 'log-workers')) as [number])[0];
    const rows = (await redis.xpending(streamKey, 'log-workers', '-', '+', 100000, consumer)) as unknown[];
    return rows.length;
  };
  // Log entries ever appended (the producer's counter): XINFO's entries-added counts chunks.
  const entriesAdded = async (): Promise<number> => Number((await redis.get(`${streamKey}:appended`)) ?? 0);

  /**
   * Waits (bounded) for every acknowledged key of one service to have a row and for the group to
   * have nothing pending, then compares by key: counts the server reported cannot show a lost entry
   * hidden behind a doubled one.
   */
  const expectStoredOnceByKey = async (service: string, acked: string[], refused: string[] = []) => {
    let stored = new Map<string, number>();
    await waitFor(
      `${acked.length} entries of ${service} stored and acknowledged`,
      async () => {
        stored = await schema.storedMessages(service);
        return (acked.every((key) => stored.has(key)) && (await pendingOf()) === 0) || null;
      },
      20000,
    );
    const tally = tallyByKey(stored, acked, refused);
    expect(tally).toEqual({
      acked: acked.length,
      rows: acked.length,
      missing: 0,
      duplicates: 0,
      unexpected: 0,
      refused: new Set(refused).size,
      refusedStored: 0,
      refusedStoredUnexplained: 0,
    });
  };

  beforeAll(async () => {
    await schema.create();
    ingest = await startIngest('ingest-e2e', {
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: streamKey,
      // Fixtures carry fixed dates (2026-11-26) that age past the default 30 days: no age limit here.
      ENTRY_MAX_AGE: '0',
    });
    started.push(ingest);
    worker = await launchWorker('worker-main', { WORKER_NAME: `main-${suffix}` });
  });

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop('SIGKILL')));
    await redis.del(streamKey, deadKey);
    redis.disconnect();
    await schema.drop();
  });

  it('stores concurrent single entries once each, under the position each 202 answered with', async () => {
    // 40 requests at once over separate connections: ingest chunks the ones that arrive together.
    const service = `singles-${suffix}`;
    const messages = Array.from({ length: 40 }, (_, i) => `single ${i}`);
    const answers = await Promise.all(
      messages.map((message) => post('/api/log', JSON.stringify({ level: 'info', service, message }))),
    );
    expect(answers.map((a) => a.status)).toEqual(messages.map(() => 202));
    await expectStoredOnceByKey(service, messages);
    const { rows } = await schema.pool.query('SELECT message, stream_id FROM logs WHERE service = $1', [
      service,
    ]);
    const storedAt = new Map(
      rows.map((r: { message: string; stream_id: string }) => [r.message, r.stream_id]),
    );
    expect(messages.map((m) => storedAt.get(m))).toEqual(answers.map((a) => a.body.id));
    for (const answer of answers) expect(answer.body.id).toMatch(/^\d+-\d+(#\d+)?$/);
  });

  it('stores a single and a batch submission with every field intact', async () => {
    const single = {
      id: `single-${suffix}`,
      timestamp: '2026-11-26T10:00:00.123+02:00',
      level: 'error',
      service: 'checkout',
      message: 'payment declined: żółw 🐢 "quoted"',
      attributes: { order: { id: 42, items: ['a', 'b'] }, retry: false, amount: 12.5 },
      trace_id: '0123456789ABCDEF0123456789ABCDEF',
      span_id: '0123456789abcdef',
    };
    const before = Date.now();
    const one = await post('/api/log', JSON.stringify(single));
    expect(one).toEqual({ status: 202, body: { status: 'queued', id: expect.stringMatching(/^\d+-\d+$/) } });

    const batch = [1, 2, 3].map((n) => ({
      level: 'info',
      service: `batch-${suffix}`,
      message: `line ${n}`,
      timestamp: 1795651200000 + n,
    }));
    const ndjson = gzipSync(batch.map((e) => JSON.stringify(e)).join('\n'));
    const many = await post('/api/logs', ndjson, {
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
    });
    expect(many).toEqual({ status: 202, body: { status: 'queued', count: 3 } });

    await expectStoredOnceByKey('checkout', [single.message]);
    await expectStoredOnceByKey(
      `batch-${suffix}`,
      batch.map((e) => e.message),
    );
    const { rows } = await schema.pool.query(
      `SELECT (extract(epoch FROM ts) * 1000)::bigint::text AS ts_ms, (extract(epoch FROM received_at) * 1000)::bigint AS received_ms,
              level, service, message, attributes, trace_id, span_id, event_id, stream_id FROM logs WHERE event_id = $1`,
      [single.id],
    );
    expect(rows).toEqual([
      {
        ts_ms: String(Date.parse('2026-11-26T08:00:00.123Z')),
        received_ms: expect.any(String),
        level: 'error',
        service: 'checkout',
        message: single.message,
        attributes: single.attributes,
        trace_id: single.trace_id.toLowerCase(),
        span_id: single.span_id,
        event_id: single.id,
        stream_id: one.body.id,
      },
    ]);
    expect(Number(rows[0].received_ms)).toBeGreaterThanOrEqual(before - 5);
    expect(Number(rows[0].received_ms)).toBeLessThanOrEqual(Date.now());

    const batchRows = await schema.pool.query(
      `SELECT message, (extract(epoch FROM ts) * 1000)::bigint::text AS ts_ms, attributes, event_id FROM logs WHERE service = $1 ORDER BY ts`,
      [`batch-${suffix}`],
    );
    expect(batchRows.rows).toEqual(
      batch.map((e) => ({
        message: e.message,
        ts_ms: String(e.timestamp),
        attributes: null,
        event_id: null,
      })),
    );
  });

  it('queues nothing when one entry anywhere in a batch is invalid', async () => {
    const added = await entriesAdded();
    const rowsBefore = await schema.count();
    const response = await post(
      '/api/logs',
      JSON.stringify([
        { level: 'info', service: 's', message: 'fine' },
        { level: 'info', service: 's', message: '' },
        { level: 'info', service: 's', message: 'fine too' },
      ]),
    );
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ index: 1, field: 'message', message: expect.any(String) }]);
    await sleep(300);
    expect(await entriesAdded()).toBe(added);
    expect(await schema.count()).toBe(rowsBefore);
  });

  it('stores an entry sent twice with the same client id once', async () => {
    const entry = JSON.stringify({
      id: `retry-${suffix}`,
      level: 'warn',
      service: 'billing',
      message: 'sent twice',
    });
    const first = await post('/api/log', entry);
    const second = await post('/api/log', entry);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body.id).not.toBe(first.body.id);
    // Both stream entries are processed and acknowledged; only one row exists.
    await waitFor(
      'both deliveries acknowledged',
      async () => (await pendingOf()) === 0 && (await redis.xlen(streamKey)) === 0,
      10000,
    );
    expect(await schema.count('event_id = $1', [`retry-${suffix}`])).toBe(1);
  });

  it('moves an undecodable message to the dead-letter stream and goes on with the rest', async () => {
    const poisonId = await redis.xadd(streamKey, '*', 'data', '{"this is": "not a log entry"}');
    const after = await post(
      '/api/log',
      JSON.stringify({ level: 'info', service: 'after-poison', message: `m-${suffix}` }),
    );
    expect(after.status).toBe(202);
    await waitFor(
      'the entry after the poison stored',
      async () => (await schema.count('service = $1', ['after-poison'])) === 1,
    );
    const dead = await redis.xrange(deadKey, '-', '+');
    const moved = dead.map(([, fields]) =>
      Object.fromEntries(
        fields.reduce<string[][]>((pairs, v, i) => (i % 2 ? pairs : [...pairs, [v, fields[i + 1]]]), []),
      ),
    );
    expect(moved).toEqual([
      expect.objectContaining({
        'source-id': poisonId,
        data: '{"this is": "not a log entry"}',
        reason: expect.stringContaining('undecodable'),
      }),
    ]);
    await waitFor('nothing pending', async () => (await pendingOf()) === 0, 5000);
  });

  it('loses and duplicates nothing when a worker is killed between commit and XACK and restarted under its name', async () => {
    await worker.stop('SIGTERM');
    const marker = `crash-${suffix}`;
    const batch = Array.from({ length: 50 }, (_, i) => ({
      level: 'info',
      service: marker,
      message: `entry ${i}`,
    }));
    expect((await post('/api/logs', JSON.stringify(batch))).status).toBe(202);

    const name = `crashy-${suffix}`;
    const crashing = await launchWorker(
      'worker-crashing',
      {
        WORKER_NAME: name,
        BATCH_SIZE: '20',
        LOGPIPE_FAILPOINT: 'crash-after-commit',
      },
      false,
    );
    const exit = await crashing.exited;
    expect(exit.signal).toBe('SIGKILL');
    // The request's 50 entries travel as ONE stream entry (a chunk): the read holds it whole, its rows
    // are inserted (in slices of BATCH_SIZE) and committed, and the worker dies before settling it. All
    // 50 are stored, none acknowledged: the chunk is still pending on that name, and the restarted worker
    // must store none of its entries again.
    const storedBeforeRestart = await schema.count('service = $1', [marker]);
    expect(storedBeforeRestart).toBe(50);
    expect(await pendingOf(name)).toBe(1);

    worker = await launchWorker('worker-restarted', { WORKER_NAME: name, BATCH_SIZE: '20' });
    await expectStoredOnceByKey(
      marker,
      batch.map((e) => e.message),
    );
    const { rows } = await schema.pool.query(
      'SELECT count(*)::int AS rows, count(DISTINCT message)::int AS messages, count(DISTINCT stream_id)::int AS streams FROM logs WHERE service = $1',
      [marker],
    );
    expect(rows[0]).toEqual({ rows: 50, messages: 50, streams: 50 });
  });

  it('loses nothing when the worker gets SIGTERM in the middle of a stream of writes', async () => {
    const marker = `sigterm-${suffix}`;
    const name = `steady-${suffix}`;
    await worker.stop('SIGTERM');
    worker = await launchWorker('worker-steady', { WORKER_NAME: name, BATCH_SIZE: '25' });

    const accepted: string[] = [];
    const refused: string[] = [];
    let sending = true;
    const producer = (async () => {
      for (let n = 0; sending; n++) {
        const batch = Array.from({ length: 20 }, (_, i) => ({
          level: 'debug',
          service: marker,
          message: `b${n}-${i}`,
        }));
        const response = await post('/api/logs', JSON.stringify(batch));
        // The client's own record of which entries were accepted, not the count the server reported.
        (response.status === 202 ? accepted : refused).push(...batch.map((e) => e.message));
        await sleep(5);
      }
    })();

    try {
      await waitFor('rows flowing', async () => (await schema.count('service = $1', [marker])) > 200);
      const stopped = await worker.stop('SIGTERM');
      expect(stopped).toEqual({ code: 0, signal: null });
      // The batch in flight was finished and acknowledged before exit: nothing left pending on it.
      expect(await pendingOf(name)).toBe(0);
      expect(worker.logs()).toContain('consumer stopped');

      worker = await launchWorker('worker-after-sigterm', { WORKER_NAME: name });
      await sleep(1000);
    } finally {
      sending = false;
      await producer;
    }
    expect(accepted.length).toBeGreaterThan(200);
    // Stopping a worker never touches ingest: nothing refused, every accepted entry stored once.
    expect(refused).toEqual([]);
    await expectStoredOnceByKey(marker, accepted, refused);
  });
});
