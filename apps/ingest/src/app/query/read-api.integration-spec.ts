import { LogBatchWriter, type StoredLogEntry } from '@logpipe/log-store';
import { openMigratedSchema } from '@logpipe/log-store/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { queuedEntries } from '../../testing/queued-entries';
import { TEST_REDIS_URL } from '../../testing/ingest-on-own-stream';
import { startIngestApp } from '../../testing/start-ingest-app';

const DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const ACME_KEY = `acme-${randomBytes(12).toString('hex')}`;
const GLOBEX_KEY = `globex-${randomBytes(12).toString('hex')}`;

function row(i: number, tenant: string, overrides: Partial<StoredLogEntry> = {}): StoredLogEntry {
  return {
    timestamp: Date.UTC(2026, 10, 26, 10, 0, i),
    receivedAt: Date.UTC(2026, 10, 26, 10, 0, i),
    level: i % 2 === 0 ? 'error' : 'info',
    service: i % 3 === 0 ? 'checkout' : 'api',
    message: `request ${i} ${i % 2 === 0 ? 'failed' : 'served'}`,
    attributes: { region: i % 2 === 0 ? 'eu' : 'us' },
    traceId: null,
    spanId: null,
    eventId: null,
    tenant,
    streamId: `${tenant}-${i}`,
    ...overrides,
  };
}

describe('read API, API keys, quota, metrics and docs (ingest against the real Redis and PostgreSQL)', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `test:read:${suffix}`;
  const schema = `test_read_${suffix}`;
  const redis = new Redis(TEST_REDIS_URL);
  let dataSource: DataSource;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    dataSource = await openMigratedSchema(DATABASE_URL, schema);
    await new LogBatchWriter(dataSource).insert([
      ...Array.from({ length: 12 }, (_, i) => row(i, 'acme')),
      ...Array.from({ length: 5 }, (_, i) => row(i, 'globex', { message: `globex secret ${i}` })),
    ]);
    app = await startIngestApp({
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: streamKey,
      DATABASE_URL,
      DB_SCHEMA: schema,
      API_KEYS: `acme:${ACME_KEY},globex:${GLOBEX_KEY}`,
      TENANT_QUOTA_PER_SECOND: '1',
      TENANT_QUOTA_BURST: '30',
    });
  });

  afterAll(async () => {
    await app.close();
    await redis.del(streamKey);
    redis.disconnect();
    await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
    await dataSource.destroy();
    for (const name of ['API_KEYS', 'TENANT_QUOTA_PER_SECOND', 'TENANT_QUOTA_BURST', 'DB_SCHEMA'])
      delete process.env[name];
  });

  const get = (url: string, key?: string) =>
    app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });
  const post = (url: string, payload: unknown, headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url,
      payload: JSON.stringify(payload),
      headers: { 'content-type': 'application/json', ...headers },
    });
  const entry = { level: 'info', service: 'checkout', message: 'order placed' };

  it('answers 401 without a key or with a wrong one, and writes nothing', async () => {
    const variants: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-key-0123456789' },
      { 'x-api-key': `${ACME_KEY}x` },
      { authorization: `Basic ${ACME_KEY}` },
    ];
    for (const headers of variants) {
      const write = await post('/api/log', entry, headers);
      expect(write.statusCode).toBe(401);
      expect(write.headers['www-authenticate']).toBe('Bearer realm="logpipe"');
      expect(write.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      expect(write.body).not.toContain(ACME_KEY);
      expect((await post('/api/logs', [entry, entry], headers)).statusCode).toBe(401);
      for (const path of ['/api/logs', '/api/logs/count', '/api/logs/tail']) {
        expect((await app.inject({ method: 'GET', url: path, headers })).statusCode).toBe(401);
      }
    }
    expect(await redis.exists(streamKey)).toBe(0);
  });

  it('accepts Bearer and X-API-Key, and stamps the tenant of the key on what it queues', async () => {
    expect((await post('/api/log', entry, { authorization: `Bearer ${ACME_KEY}` })).statusCode).toBe(202);
    expect(
      (await post('/api/log', { ...entry, tenant: 'globex' }, { 'x-api-key': ACME_KEY })).statusCode,
    ).toBe(400);
    expect((await post('/api/logs', [entry], { 'x-api-key': GLOBEX_KEY })).statusCode).toBe(202);
    const stored = await queuedEntries(redis, streamKey);
    expect(stored.map((queued) => queued.tenant)).toEqual(['acme', 'globex']);
  });

  it("reads and counts only the caller's tenant's rows, newest first", async () => {
    const acme = (await get('/api/logs', ACME_KEY)).json();
    expect(acme.entries).toHaveLength(12);
    expect(acme.entries.map((e: { stream_id: string }) => e.stream_id)).toEqual(
      Array.from({ length: 12 }, (_, i) => `acme-${11 - i}`),
    );
    expect(acme.next_cursor).toBeNull();
    const globex = (await get('/api/logs?limit=1000', GLOBEX_KEY)).json();
    expect(globex.entries.every((e: { message: string }) => e.message.startsWith('globex secret'))).toBe(
      true,
    );
    expect(globex.entries).toHaveLength(5);
    expect((await get('/api/logs/count', ACME_KEY)).json()).toEqual({ count: 12 });
    expect((await get('/api/logs/count?q=secret', ACME_KEY)).json()).toEqual({ count: 0 });
    expect((await get('/api/logs/count?q=secret', GLOBEX_KEY)).json()).toEqual({ count: 5 });
  });

  it('applies the filters and pages with the cursor', async () => {
    const filtered = (
      await get('/api/logs?service=checkout&level=warn&attr.region=eu&q=failed', ACME_KEY)
    ).json();
    expect(filtered.entries.map((e: { stream_id: string }) => e.stream_id)).toEqual(['acme-6', 'acme-0']);
    const first = (await get('/api/logs?limit=5', ACME_KEY)).json();
    const second = (await get(`/api/logs?limit=5&cursor=${first.next_cursor}`, ACME_KEY)).json();
    const third = (await get(`/api/logs?limit=5&cursor=${second.next_cursor}`, ACME_KEY)).json();
    expect([first, second, third].map((page) => page.entries.length)).toEqual([5, 5, 2]);
    expect(third.next_cursor).toBeNull();
    expect(
      new Set(
        [first, second, third].flatMap((page) => page.entries.map((e: { stream_id: string }) => e.stream_id)),
      ).size,
    ).toBe(12);
  });

  it('answers the histogram by bucket and level, summing to the count for the same filters', async () => {
    const range = 'from=2026-11-26T10:00:00Z&to=2026-11-26T10:01:00Z';
    const answer = await get(`/api/logs/histogram?${range}&interval=5s`, ACME_KEY);
    expect(answer.statusCode).toBe(200);
    const histogram = answer.json();
    expect(histogram.interval_ms).toBe(5000);
    expect(histogram.buckets).toHaveLength(12);
    expect(histogram.buckets[0]).toEqual({
      start: '2026-11-26T10:00:00.000Z',
      total: 5,
      counts: { error: 3, info: 2 },
    });
    for (const filters of ['', '&service=checkout', '&level=error', '&q=failed']) {
      const { buckets } = (await get(`/api/logs/histogram?${range}${filters}`, ACME_KEY)).json();
      const { count } = (await get(`/api/logs/count?${range}${filters}`, ACME_KEY)).json();
      expect(buckets.reduce((sum: number, b: { total: number }) => sum + b.total, 0)).toBe(count);
    }
    const auto = (await get(`/api/logs/histogram?${range}`, ACME_KEY)).json();
    expect(auto.interval).toBe('1s');
    const tooMany = await get(
      '/api/logs/histogram?from=2026-11-01T00:00:00Z&to=2026-11-26T00:00:00Z&interval=1s',
      ACME_KEY,
    );
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().message).toContain('interval');
    expect((await get('/api/logs/histogram?interval=2m', ACME_KEY)).statusCode).toBe(400);
  });

  it("lists the caller's services only, and the context of an entry within its service", async () => {
    expect((await get('/api/services', ACME_KEY)).json()).toEqual({ services: ['api', 'checkout'] });
    expect((await get('/api/services', GLOBEX_KEY)).json()).toEqual({ services: ['api', 'checkout'] });
    expect((await get('/api/services')).statusCode).toBe(401);
    const context = await get('/api/logs/context?service=checkout&at=2026-11-26T10:00:06Z&limit=1', ACME_KEY);
    expect(context.statusCode).toBe(200);
    expect(context.json().entries.map((e: { message: string }) => e.message)).toEqual([
      'request 9 served',
      'request 6 failed',
    ]);
    const bad = await get('/api/logs/context?at=yesterday&limit=0', ACME_KEY);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { parameter: string }) => e.parameter)).toEqual([
      'service',
      'at',
      'limit',
    ]);
  });

  it('answers 400 naming every bad parameter', async () => {
    const response = await get('/api/logs?level=loud&limit=5000&from=yesterday&colour=red&q=ab', ACME_KEY);
    expect(response.statusCode).toBe(400);
    expect(
      response
        .json()
        .errors.map((e: { parameter: string }) => e.parameter)
        .sort(),
    ).toEqual(['colour', 'from', 'level', 'limit', 'q']);
    expect(response.json().message).toMatch(/^invalid query parameters: /);
    const tail = await get('/api/logs/tail?cursor=x', ACME_KEY);
    expect(tail.statusCode).toBe(400);
    expect(tail.json().errors).toEqual([
      { parameter: 'cursor', message: 'cursor applies to GET /api/logs only' },
    ]);
  });

  it('answers 429 with Retry-After over the tenant quota, per tenant, counting entries', async () => {
    const batch = Array.from({ length: 25 }, () => entry);
    // acme has used 1 of its 30 and globex 1: 25 more fit once, not twice.
    expect((await post('/api/logs', batch, { 'x-api-key': ACME_KEY })).statusCode).toBe(202);
    const refused = await post('/api/logs', batch, { 'x-api-key': ACME_KEY });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(20);
    expect(refused.json().message).toContain('tenant "acme" is over its ingest quota');
    expect((await post('/api/logs', batch, { 'x-api-key': GLOBEX_KEY })).statusCode).toBe(202);
  });

  it('counts accepted and rejected entries by reason in /metrics, which needs no key', async () => {
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    const value = (name: string) =>
      Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics.body)?.[1] ?? 'NaN');
    // 202s so far: 1 + 1 (earlier test) + 25 + 25.
    expect(value('logpipe_ingest_entries_queued_total{protocol="logpipe"}')).toBe(52);
    expect(value('logpipe_ingest_entries_rejected_total{protocol="logpipe",reason="quota"}')).toBe(25);
    expect(value('logpipe_ingest_entries_rejected_total{protocol="logpipe",reason="invalid"}')).toBe(1);
    // 4 header variants x (1 + 2) entries refused for want of a key.
    expect(value('logpipe_ingest_entries_rejected_total{protocol="logpipe",reason="unauthorized"}')).toBe(12);
    expect(metrics.body).toMatch(
      /^logpipe_http_request_duration_seconds_count\{method="GET",route="\/api\/logs",status="200"\} \d+$/m,
    );
    expect(metrics.body).toContain('process_cpu_user_seconds_total');
    // Reads go to a primary here: no replica, so no lag.
    expect(value('logpipe_read_database_replica')).toBe(0);
    expect(value('logpipe_read_replica_lag_seconds')).toBe(0);
  });

  it('reports PostgreSQL and the backlog in readiness, without a key', async () => {
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ok',
      checks: { redis: 'up', postgres: 'up' },
      backlog: { accepting: true },
      // READ_DATABASE_URL is unset: reads go to DATABASE_URL, a primary (apps/replica-e2e covers a replica).
      readDatabase: { role: 'primary' },
    });
  });

  it('serves the OpenAPI document with the entry schema and the query parameters', async () => {
    const document = (await app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
    expect(document.components.schemas.LogEntry.required.sort()).toEqual(['level', 'message', 'service']);
    const search = document.paths['/api/logs'].get;
    expect(search.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining([
        'service',
        'level',
        'from',
        'to',
        'q',
        'trace_id',
        'limit',
        'cursor',
        'attr.{key}',
      ]),
    );
    expect(document.paths['/api/logs'].post.requestBody.content['application/json'].schema.items.$ref).toBe(
      '#/components/schemas/LogEntry',
    );
    expect(document.paths['/metrics']).toBeUndefined();
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });
});
