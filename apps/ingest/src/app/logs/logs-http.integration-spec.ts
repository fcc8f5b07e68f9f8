import { chunkEntryId, decodeStreamValue } from '@logpipe/log-schema';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { gzipSync } from 'node:zlib';
import { ingestOnOwnStream } from '../../testing/ingest-on-own-stream';
import { queuedEntries } from '../../testing/queued-entries';
import { injectThroughServer } from '../../testing/server-inject';
import { startIngestApp } from '../../testing/start-ingest-app';

const entry = (overrides: Record<string, unknown> = {}) => ({
  level: 'info',
  service: 'checkout',
  message: 'order placed',
  ...overrides,
});

describe('ingest HTTP API against the real Redis', () => {
  const { streamKey, redis, app } = ingestOnOwnStream('api', {
    MAX_BODY_BYTES: '65536',
    MAX_BATCH_ENTRIES: '50',
  });
  beforeEach(async () => {
    await redis.del(streamKey, `${streamKey}:entries`);
  });

  const post = (
    url: string,
    payload: string | Buffer,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => injectThroughServer(app(), { method: 'POST', url, payload, headers });

  it('queues one entry and answers 202 with the stream id', async () => {
    const response = await post(
      '/api/log',
      JSON.stringify(entry({ id: 'evt-1', attributes: { user: { id: 7 } } })),
    );
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toEqual({ status: 'queued', id: expect.stringMatching(/^\d+-\d+$/) });
    const stored = await redis.xrange(streamKey, '-', '+');
    expect(stored.map(([id]) => id)).toEqual([body.id]);
    expect(response.headers['x-logpipe-instance']).toBeDefined();
  });

  it('chunks single entries that arrive together and answers each with its position in the chunk', async () => {
    // The requests reach the server in one turn, as concurrent connections' do under load.
    const responses = await Promise.all(
      ['a', 'b', 'c', 'd'].map((message) => post('/api/log', JSON.stringify(entry({ message })))),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([202, 202, 202, 202]);
    const ids = responses.map((r) => r.json().id as string);
    const stored = await redis.xrange(streamKey, '-', '+');
    // At least two requests shared a stream entry, and each answer names its entry's stored position.
    expect(stored.length).toBeLessThan(4);
    const positions = stored.flatMap(([id, fields]) => {
      const decoded = decodeStreamValue(fields[1]);
      return decoded.slots.map((slot, i) => ({
        position: decoded.chunk ? chunkEntryId(id, i) : id,
        message: slot.ok ? slot.entry.message : null,
      }));
    });
    expect(positions.map((p) => p.message).sort()).toEqual(['a', 'b', 'c', 'd']);
    const byMessage = new Map(positions.map((p) => [p.message, p.position]));
    expect(ids).toEqual(['a', 'b', 'c', 'd'].map((m) => byMessage.get(m)));
    expect(await redis.get(`${streamKey}:entries`)).toBe('4');
  });

  it('queues a JSON array batch, an NDJSON batch and a gzip NDJSON batch', async () => {
    const array = await post('/api/logs', JSON.stringify([entry(), entry({ level: 'warn' })]));
    expect(array.statusCode).toBe(202);
    expect(array.json()).toEqual({ status: 'queued', count: 2 });

    const ndjson = [entry(), entry(), entry()].map((e) => JSON.stringify(e)).join('\n') + '\n';
    const lines = await post('/api/logs', ndjson, { 'content-type': 'application/x-ndjson' });
    expect(lines.json()).toEqual({ status: 'queued', count: 3 });

    const zipped = await post('/api/logs', gzipSync(ndjson), {
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
    });
    expect(zipped.json()).toEqual({ status: 'queued', count: 3 });
    // Each request is one stream entry (a chunk); the counter holds the log entries.
    await expect(redis.xlen(streamKey)).resolves.toBe(3);
    expect(await queuedEntries(redis, streamKey)).toHaveLength(8);
    await expect(redis.get(`${streamKey}:entries`)).resolves.toBe('8');
  });

  it('queues a batch as sent (version 4): the JSON array text, or the NDJSON lines joined, behind receipt time and tenant', async () => {
    const sent = `[ ${JSON.stringify(entry({ message: 'a €' }))},\n  ${JSON.stringify(entry({ trace_id: 'AB'.repeat(16) }))} ]`;
    const before = Date.now();
    expect((await post('/api/logs', sent)).statusCode).toBe(202);
    const lines = `${JSON.stringify(entry({ message: 'l1' }))}\r\n\n  ${JSON.stringify(entry({ message: 'l2' }))}  \n`;
    const zipped = await post('/api/logs', gzipSync(lines), {
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
    });
    expect(zipped.statusCode).toBe(202);
    const [[, arrayFields], [, linesFields]] = await redis.xrange(streamKey, '-', '+');
    const [version, receivedAt, tenant] = JSON.parse(arrayFields[1]) as [number, number, string];
    expect([version, tenant]).toEqual([4, 'default']);
    expect(receivedAt).toBeGreaterThanOrEqual(before);
    expect(arrayFields[1]).toBe(`[4,${receivedAt},"default",${sent}]`);
    expect(linesFields[1]).toMatch(
      new RegExp(
        `^\\[4,\\d+,"default",\\[${escapeRegExp(JSON.stringify(entry({ message: 'l1' })))},${escapeRegExp(JSON.stringify(entry({ message: 'l2' })))}\\]\\]$`,
      ),
    );
    const [a, b, l1, l2] = await queuedEntries(redis, streamKey);
    expect([a.message, b.traceId, l1.message, l2.message]).toEqual(['a €', 'ab'.repeat(16), 'l1', 'l2']);
    expect(a.receivedAt).toBe(receivedAt);
  });

  it('rejects a whole batch when one entry is invalid, naming index and field, and queues nothing', async () => {
    const response = await post(
      '/api/logs',
      JSON.stringify([entry(), entry(), entry({ level: 'loud' }), entry({ extra: 1 })]),
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([
      { index: 2, field: 'level', message: expect.stringContaining('level must be one of') },
      { index: 3, field: 'extra', message: 'unknown field "extra"' },
    ]);
    await expect(redis.xlen(streamKey)).resolves.toBe(0);
  });

  it('refuses entries older than ENTRY_MAX_AGE or further ahead than ENTRY_MAX_FUTURE with a 400 naming the limit, per item', async () => {
    const now = Date.now();
    const single = await post('/api/log', JSON.stringify(entry({ timestamp: now - 31 * 86_400_000 })));
    expect(single.statusCode).toBe(400);
    expect(single.json().message).toContain('ENTRY_MAX_AGE');
    const batch = await post(
      '/api/logs',
      JSON.stringify([
        entry({ timestamp: now - 60_000 }),
        entry({ timestamp: '2026-01-01T00:00:00Z' }),
        entry(),
        entry({ timestamp: now + 2 * 3_600_000 }),
      ]),
    );
    expect(batch.statusCode).toBe(400);
    expect(batch.json().errors).toEqual([
      {
        index: 1,
        field: 'timestamp',
        message: expect.stringContaining('maximum age of 30d (ENTRY_MAX_AGE)'),
      },
      { index: 3, field: 'timestamp', message: expect.stringContaining('grace of 1h (ENTRY_MAX_FUTURE)') },
    ]);
    // Reasonable times, as existing clients send them, are accepted as before.
    const fine = await post(
      '/api/logs',
      JSON.stringify([
        entry({ timestamp: now - 29 * 86_400_000 }),
        entry({ timestamp: new Date(now + 60_000).toISOString() }),
      ]),
    );
    expect(fine.statusCode).toBe(202);
    expect(await queuedEntries(redis, streamKey)).toHaveLength(2);
  });

  it('names the bad NDJSON line and queues nothing', async () => {
    const response = await post('/api/logs', `${JSON.stringify(entry())}\n{broken\n`, {
      'content-type': 'application/x-ndjson',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0]).toMatchObject({ index: 1, line: 2, field: '(root)' });
    await expect(redis.xlen(streamKey)).resolves.toBe(0);
  });

  it.each([
    ['an unsupported content type', '/api/log', 'level=info', { 'content-type': 'text/plain' }, 415],
    [
      'NDJSON sent to the single-entry route',
      '/api/log',
      JSON.stringify(entry()),
      { 'content-type': 'application/x-ndjson' },
      415,
    ],
    [
      'an unsupported content encoding',
      '/api/logs',
      '[]',
      { 'content-type': 'application/json', 'content-encoding': 'br' },
      415,
    ],
    ['broken JSON', '/api/log', '{"level":', { 'content-type': 'application/json' }, 400],
    ['a non-array batch', '/api/logs', JSON.stringify(entry()), { 'content-type': 'application/json' }, 400],
    ['an empty batch', '/api/logs', '[]', { 'content-type': 'application/json' }, 400],
    [
      'a batch over MAX_BATCH_ENTRIES',
      '/api/logs',
      JSON.stringify(Array.from({ length: 51 }, () => entry())),
      { 'content-type': 'application/json' },
      413,
    ],
    [
      'a body over MAX_BODY_BYTES',
      '/api/log',
      JSON.stringify(entry({ message: 'x'.repeat(70000) })),
      { 'content-type': 'application/json' },
      413,
    ],
    [
      'corrupt gzip',
      '/api/logs',
      'not gzip at all',
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      400,
    ],
  ])(
    'answers %s (POST %s) with a JSON error and queues nothing',
    async (_name, url, payload, headers, status) => {
      const response = await post(url, payload, headers);
      expect(response.statusCode).toBe(status);
      expect(response.json()).toMatchObject({ statusCode: status, message: expect.any(String) });
      await expect(redis.xlen(streamKey)).resolves.toBe(0);
    },
  );

  it('stops decompressing a gzip bomb at the limit and answers 413', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)); // 50 MiB of spaces in ~50 KiB
    expect(bomb.length).toBeLessThan(100 * 1024);
    const response = await post('/api/logs', bomb, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().message).toContain('MAX_BODY_BYTES');
  });

  it('refuses invalid UTF-8 instead of storing replacement characters', async () => {
    const payload = Buffer.concat([
      Buffer.from('{"level":"info","service":"s","message":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const response = await post('/api/log', payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toBe('body is not valid UTF-8');
  });

  it('still documents both write routes, which LogsController declares and plain Fastify handlers serve', async () => {
    const document = (await app().inject({ method: 'GET', url: '/docs/openapi.json' })).json();
    expect(document.paths['/api/log'].post.responses['202']).toBeDefined();
    expect(document.paths['/api/logs'].post.responses['202']).toBeDefined();
    expect(document.paths['/api/log'].post.security).toEqual([{ bearer: [] }, { 'api-key': [] }]);
  });

  it('reports readiness with Redis up', async () => {
    const response = await app().inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', checks: { redis: 'up' } });
  });
});

describe('ingest queuing large batches from frames it reuses', () => {
  const { streamKey, redis, app } = ingestOnOwnStream('frames', {
    MAX_BODY_BYTES: String(1024 * 1024),
    MAX_BATCH_ENTRIES: '1000',
  });

  // ~100 KB a body, all about the same size: over the size frames are pooled at (64 KiB), one size
  // class, so every body and stream value after the first few is written into the bytes of one queued
  // before it (log-schema's body-frames.ts).
  const entries = (round: number, request: number) =>
    Array.from({ length: 400 }, (_, i) =>
      entry({ message: `r${round}-q${request}-e${String(i).padStart(3, '0')} ${'x'.repeat(180)}` }),
    );
  const jsonArray = (batch: object[]) => ({
    payload: JSON.stringify(batch),
    headers: { 'content-type': 'application/json' },
  });
  const gzipNdjson = (batch: object[]) => ({
    payload: gzipSync(batch.map((e) => JSON.stringify(e)).join('\n')),
    headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
  });

  it('stores every entry of every batch once, with batches in flight together and refused ones between', async () => {
    const sent: string[] = [];
    for (let round = 0; round < 6; round++) {
      const batches = [0, 1, 2, 3].map((request) => entries(round, request));
      // JSON arrays are queued from the frame they were read into, NDJSON lines from frames of their own.
      const requests = batches.map((batch, i) => (i % 2 === 0 ? jsonArray(batch) : gzipNdjson(batch)));
      // One batch per round breaks the rules: refused whole (400), its frame given back at once.
      const invalid = entries(round, 9).map((e, i) => (i === 7 ? { ...e, level: 'loud' } : e));
      const responses = await Promise.all(
        [...requests, jsonArray(invalid)].map(({ payload, headers }) =>
          injectThroughServer(app(), { method: 'POST', url: '/api/logs', payload, headers }),
        ),
      );
      expect(responses.map((r) => r.statusCode)).toEqual([202, 202, 202, 202, 400]);
      for (const batch of batches) sent.push(...batch.map((e) => e.message));
    }
    const stored = (await queuedEntries(redis, streamKey)).map((e) => e.message);
    expect(stored).toHaveLength(sent.length);
    expect([...stored].sort()).toEqual([...sent].sort());
  });
});

describe('ingest when Redis cannot take the write', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    // Nothing listens on port 1: every write fails at once.
    app = await startIngestApp({ REDIS_URL: 'redis://127.0.0.1:1', STREAM_KEY: 'test:ingest:unreachable' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers 503 with Retry-After within about a second, never 202', async () => {
    const started = Date.now();
    const response = await injectThroughServer(app, {
      method: 'POST',
      url: '/api/log',
      payload: JSON.stringify(entry()),
      headers: { 'content-type': 'application/json' },
    });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.json().message).toContain('retry later');
  });

  it('is not ready', async () => {
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ checks: { redis: 'down' } });
  });
});

describe('ingest backpressure', () => {
  const { streamKey, redis, app } = ingestOnOwnStream('backlog', {
    BACKLOG_HIGH_WATER: '5',
    BACKLOG_LOW_WATER: '2',
    BACKLOG_CHECK_INTERVAL_MS: '20',
  });

  async function waitFor(condition: () => Promise<boolean>) {
    const deadline = Date.now() + 5000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error('condition not met within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  const submit = () =>
    injectThroughServer(app(), {
      method: 'POST',
      url: '/api/log',
      payload: JSON.stringify(entry()),
      headers: { 'content-type': 'application/json' },
    });

  it('answers 503 over the high-water mark and accepts again under the low-water mark', async () => {
    // Redis connected first, so a 503 below can only be backpressure.
    await waitFor(
      async () => (await app().inject({ method: 'GET', url: '/health/ready' })).statusCode === 200,
    );
    for (let i = 0; i < 5; i++) {
      const answer = await submit();
      // Status and body in one string, so a failure says which 503 it was.
      expect(`${answer.statusCode} ${answer.body}`).toMatch(/^202 /);
    }
    await waitFor(async () => (await submit()).statusCode === 503);
    const refused = await submit();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json().message).toContain('BACKLOG_HIGH_WATER=5');

    // A worker acknowledging entries takes them off the shard's entry counter. Still over the
    // low-water mark at 3: keeps refusing (no flapping).
    await redis.decrby(`${streamKey}:entries`, 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await submit()).statusCode).toBe(503);

    await redis.decrby(`${streamKey}:entries`, 1);
    await waitFor(async () => (await submit()).statusCode === 202);
  });
});

describe('ingest in-flight body budget against the real Redis', () => {
  const { streamKey, redis, app } = ingestOnOwnStream('budget', {
    MAX_BODY_BYTES: '65536',
    MAX_BATCH_ENTRIES: '50',
    // About two of the batches below at a time.
    MAX_IN_FLIGHT_BODY_BYTES: '4096',
    // The suites above set these in process.env; back to the defaults.
    BACKLOG_HIGH_WATER: '500000',
    BACKLOG_LOW_WATER: '400000',
  });

  const batch = JSON.stringify(
    Array.from({ length: 10 }, (_, i) => entry({ message: `entry ${i} `.padEnd(150, '.') })),
  );
  const submit = () =>
    injectThroughServer(app(), {
      method: 'POST',
      url: '/api/logs',
      payload: batch,
      headers: { 'content-type': 'application/json' },
    });

  it('answers 503 + Retry-After past the budget, queues nothing for those, and frees the budget afterwards', async () => {
    expect(Buffer.byteLength(batch)).toBeGreaterThan(1500);
    const answers = await Promise.all(Array.from({ length: 30 }, submit));
    const accepted = answers.filter((a) => a.statusCode === 202);
    const refused = answers.filter((a) => a.statusCode === 503);
    expect(accepted.length + refused.length).toBe(30);
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0].headers['retry-after']).toBe('1');
    expect(refused[0].json().message).toContain('MAX_IN_FLIGHT_BODY_BYTES=4096');
    // Exactly the accepted requests' entries are in the stream.
    expect(await queuedEntries(redis, streamKey)).toHaveLength(accepted.length * 10);
    // Every answered request gave its bytes back: requests one at a time are all accepted.
    for (let i = 0; i < 5; i++) expect((await submit()).statusCode).toBe(202);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
