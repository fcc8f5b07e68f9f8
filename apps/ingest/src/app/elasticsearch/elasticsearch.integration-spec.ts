import type { LogEntry } from '@logpipe/log-schema';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { entriesOf } from '../../testing/queued-entries';
import { TEST_REDIS_URL } from '../../testing/ingest-on-own-stream';
import { startIngestApp } from '../../testing/start-ingest-app';

const KEY = `acme-${randomBytes(12).toString('hex')}`;
const AUTH = { authorization: `ApiKey ${Buffer.from(`filebeat:${KEY}`).toString('base64')}` };
const NDJSON = { 'content-type': 'application/x-ndjson' };

// An event time within ingest's accepted window (ENTRY_MAX_AGE, ENTRY_MAX_FUTURE), to the millisecond.
const EVENT_TIME = Math.floor(Date.now() / 1000) * 1000 - 3_600_000 + 123;

const ndjson = (...lines: unknown[]) =>
  lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n';

/**
 * The Elasticsearch routes in the real ingest app (guard, body parsers, error filter, metrics) over
 * a real Redis stream of their own: what a bulk request queues, what it answers, and how the
 * handshake, the probes and every failure look to an Elasticsearch client.
 */
describe('Elasticsearch bulk API and handshake (ingest, real Redis)', () => {
  const streamKey = `test:ingest:es:${randomBytes(4).toString('hex')}`;
  const redis = new Redis(TEST_REDIS_URL);
  let app: NestFastifyApplication;
  let seen = 0;

  beforeAll(async () => {
    app = await startIngestApp({
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: streamKey,
      API_KEYS: `acme:${KEY}`,
      MAX_BATCH_ENTRIES: '5',
    });
    // Building the app (every module, fresh) takes seconds on a loaded machine.
  }, 60000);
  afterAll(async () => {
    await app.close();
    await redis.del(streamKey);
    redis.disconnect();
  });

  /** The entries queued since the last call. */
  async function queued(): Promise<LogEntry[]> {
    const records = await redis.xrangeBuffer(streamKey, '-', '+');
    const fresh = records.slice(seen);
    seen = records.length;
    return entriesOf(fresh);
  }

  const request = (
    method: 'GET' | 'HEAD' | 'POST' | 'PUT',
    url: string,
    payload?: string | Buffer,
    headers = {},
  ) => app.inject({ method, url, payload, headers: { ...AUTH, ...headers } });

  it('stores the create/index items of a bulk and answers every item in order, as the bulk API reference shows', async () => {
    const response = await request(
      'POST',
      '/elasticsearch/_bulk',
      ndjson(
        { index: { _index: 'test', _id: '1' } },
        {
          field1: 'value1',
          '@timestamp': new Date(EVENT_TIME).toISOString(),
          'log.level': 'warning',
          message: 'one',
        },
        { delete: { _index: 'test', _id: '2' } },
        { create: { _index: 'test', _id: '3' } },
        { field1: 'value3', service: { name: 'checkout' }, level: 50, msg: 'three' },
        { update: { _id: '1', _index: 'test' } },
        { doc: { field2: 'value2' } },
      ),
      NDJSON,
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-elastic-product']).toBe('Elasticsearch');
    // The answer is JSON text already (encodeBulkResponse): sent as is, typed as JSON.
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = response.json();
    expect(body.errors).toBe(true);
    expect(
      body.items.map(
        (item: Record<string, { status: number }>) => Object.entries(item).map(([k, v]) => [k, v.status])[0],
      ),
    ).toEqual([
      ['index', 201],
      ['delete', 400],
      ['create', 201],
      ['update', 400],
    ]);
    expect(body.items[0].index).toEqual({ _index: 'test', _id: '1', status: 201, result: 'created' });
    const entries = await queued();
    expect(
      entries.map(({ service, level, message, eventId, attributes, tenant }) => ({
        service,
        level,
        message,
        eventId,
        attributes,
        tenant,
      })),
    ).toEqual([
      {
        service: 'test',
        level: 'warn',
        message: 'one',
        eventId: '1',
        attributes: { field1: 'value1' },
        tenant: 'acme',
      },
      {
        service: 'checkout',
        level: 'error',
        message: 'three',
        eventId: '3',
        attributes: { field1: 'value3' },
        tenant: 'acme',
      },
    ]);
    expect(entries[0].timestamp).toBe(EVENT_TIME);
  });

  it('takes the index from the URL, PUT as well as POST, gzip, and the compatibility content types', async () => {
    const body = ndjson({ create: {} }, { message: 'from the url' });
    for (const [method, type] of [
      ['PUT', 'application/vnd.elasticsearch+x-ndjson; compatible-with=8'],
      ['POST', 'application/json'],
    ] as const) {
      const response = await request(method, '/elasticsearch/app-logs/_bulk', gzipSync(body), {
        'content-type': type,
        'content-encoding': 'gzip',
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().items).toEqual([
        { create: { _index: 'app-logs', status: 201, result: 'created' } },
      ]);
    }
    expect((await queued()).map((entry) => [entry.service, entry.message])).toEqual([
      ['app-logs', 'from the url'],
      ['app-logs', 'from the url'],
    ]);
  });

  it('reports per item what the entry rules refuse, stores the rest, and honours _msg_field', async () => {
    const response = await request(
      'POST',
      '/elasticsearch/app/_bulk?_msg_field=event.original',
      ndjson(
        { index: {} },
        { '@timestamp': 'yesterday', message: 'x' },
        { index: {} },
        { event: { original: 'raw' }, message: 'm' },
      ),
      NDJSON,
    );
    const items = response.json().items;
    expect(items[0].index.status).toBe(400);
    expect(items[0].index.error.type).toBe('document_parsing_exception');
    expect(items[0].index.error.reason).toContain('[timestamp]');
    expect(items[1].index.status).toBe(201);
    expect((await queued()).map((entry) => [entry.message, entry.attributes])).toEqual([
      ['raw', { message: 'm' }],
    ]);
  });

  it.each([
    [
      'an action without its source',
      ndjson({ index: { _index: 'a' } }, { message: 'x' }, { create: { _index: 'a' } }),
      /line \[3\]/,
    ],
    [
      'a bad action line',
      ndjson('{"index": [1]}', { message: 'x' }),
      /Malformed action\/metadata line \[1\]/,
    ],
    [
      'an _index of the wrong type',
      ndjson({ index: { _index: 42.5, _id: { x: 1 } } }, { message: 'x' }),
      /_id/,
    ],
    [
      'invalid UTF-8',
      Buffer.concat([Buffer.from(ndjson({ index: { _index: 'a' } })), Buffer.from([0xff, 0x0a])]),
      /line \[2\] is not valid UTF-8/,
    ],
  ])(
    'refuses %s with a whole-request 400 in Elasticsearch shape, queuing nothing',
    async (_name, payload, reason) => {
      const response = await request('POST', '/elasticsearch/_bulk', payload, NDJSON);
      expect(response.statusCode).toBe(400);
      expect(response.headers['x-elastic-product']).toBe('Elasticsearch');
      const body = response.json();
      expect(body.status).toBe(400);
      expect(body.error.reason).toMatch(reason);
      expect(body.error.root_cause).toEqual([{ type: body.error.type, reason: body.error.reason }]);
      expect(await queued()).toEqual([]);
    },
  );

  it('answers corrupt gzip, an unsupported content type and too many documents with a 4xx in Elasticsearch shape', async () => {
    const gzip = await request('POST', '/elasticsearch/_bulk', Buffer.from('not gzip at all'), {
      ...NDJSON,
      'content-encoding': 'gzip',
    });
    expect(gzip.statusCode).toBe(400);
    expect(gzip.json().error.type).toBe('illegal_argument_exception');
    const text = await request('POST', '/elasticsearch/_bulk', ndjson({ index: { _index: 'a' } }, {}), {
      'content-type': 'text/plain',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error).toMatchObject({
      type: 'media_type_header_exception',
      reason: expect.stringContaining('text/plain'),
    });
    const lines = Array.from({ length: 6 }, () => [{ create: { _index: 'a' } }, { message: 'x' }]).flat();
    const tooMany = await request('POST', '/elasticsearch/_bulk', ndjson(...lines), NDJSON);
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().status).toBe(413);
    expect(await queued()).toEqual([]);
  });

  it('answers a missing or wrong key with 401 security_exception and the product header', async () => {
    for (const headers of [
      { authorization: '' },
      { authorization: `Basic ${Buffer.from('elastic:wrong-key-0123456789').toString('base64')}` },
    ]) {
      for (const [method, url] of [
        ['GET', '/elasticsearch/'],
        ['POST', '/elasticsearch/_bulk'],
      ] as const) {
        const response = await app.inject({
          method,
          url,
          payload: method === 'POST' ? ndjson({ create: { _index: 'a' } }, {}) : undefined,
          headers: { ...NDJSON, ...headers },
        });
        expect(response.statusCode).toBe(401);
        expect(response.headers['x-elastic-product']).toBe('Elasticsearch');
        expect(response.json()).toMatchObject({ status: 401, error: { type: 'security_exception' } });
      }
    }
    expect(await queued()).toEqual([]);
  });

  it('answers the handshake with an 8.x version the clients accept, on GET and HEAD, with and without the trailing slash', async () => {
    for (const url of ['/elasticsearch', '/elasticsearch/']) {
      const info = await request('GET', url);
      expect(info.statusCode).toBe(200);
      expect(info.headers['x-elastic-product']).toBe('Elasticsearch');
      expect(info.json()).toMatchObject({
        version: { number: '8.19.0', build_flavor: 'default' },
        tagline: 'You Know, for Search',
      });
      const head = await request('HEAD', url);
      expect(head.statusCode).toBe(200);
      expect(head.body).toBe('');
    }
  });

  it('answers the probes and setup calls of the shippers, and unknown paths with a 404, never a 5xx', async () => {
    expect((await request('GET', '/elasticsearch/_license')).json().license.status).toBe('active');
    expect((await request('GET', '/elasticsearch/_xpack')).json().features.ilm.available).toBe(false);
    expect((await request('GET', '/elasticsearch/_cluster/health')).json().status).toBe('green');
    const put = await request(
      'PUT',
      '/elasticsearch/_index_template/filebeat-8.19.0',
      '{"index_patterns":["x"]}',
      { 'content-type': 'application/json' },
    );
    expect([put.statusCode, put.json()]).toEqual([200, { acknowledged: true }]);
    expect((await request('HEAD', '/elasticsearch/_index_template/filebeat-8.19.0')).statusCode).toBe(404);
    expect((await request('GET', '/elasticsearch/_ilm/policy/filebeat')).json().error.type).toBe(
      'resource_not_found_exception',
    );
    expect(
      (
        await request('PUT', '/elasticsearch/_ilm/policy/filebeat', '{}', {
          'content-type': 'application/json',
        })
      ).statusCode,
    ).toBe(200);
    expect((await request('HEAD', '/elasticsearch/pino')).statusCode).toBe(200);
    expect((await request('PUT', '/elasticsearch/pino')).json()).toEqual({
      acknowledged: true,
      shards_acknowledged: true,
      index: 'pino',
    });
    expect((await request('GET', '/elasticsearch/pino/_refresh')).json()).toEqual({
      _shards: { total: 0, successful: 0, failed: 0 },
    });
    expect((await request('POST', '/elasticsearch/pino/_refresh')).json()).toEqual({
      _shards: { total: 0, successful: 0, failed: 0 },
    });
    for (const [method, url] of [
      ['GET', '/elasticsearch/_nodes/http'],
      ['POST', '/elasticsearch/_search'],
      ['GET', '/elasticsearch/a/b/c/d'],
      ['POST', '/elasticsearch/pino'],
    ] as const) {
      const response = await request(method, url, method === 'POST' ? '{}' : undefined, {
        'content-type': 'application/json',
      });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 404 });
      expect(response.headers['x-elastic-product']).toBe('Elasticsearch');
      expect(response.json().error.reason).toContain(`[${method} `);
    }
    expect(await queued()).toEqual([]);
  });

  it('counts bulk items under protocol="elasticsearch", and no probe as an entry', async () => {
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const value = (series: string) =>
      Number(
        metrics
          .split('\n')
          .find((line) => line.startsWith(`${series} `))
          ?.split(' ')[1] ?? NaN,
      );
    // Items of the first three tests (4, 2, 2), the 4 whole-request 400s, corrupt gzip and the 415 (one
    // each), the 6 documents of the 413, the 2 unauthorized bulks, the 2 POSTs to unknown paths.
    expect(value('logpipe_ingest_entries_queued_total{protocol="elasticsearch"}')).toBe(2 + 2 + 1);
    expect(value('logpipe_ingest_entries_received_total{protocol="elasticsearch"}')).toBe(
      4 + 2 + 2 + 4 + 1 + 1 + 6 + 2 + 2,
    );
    expect(value('logpipe_ingest_entries_rejected_total{protocol="elasticsearch",reason="invalid"}')).toBe(
      2 + 1 + 4 + 1,
    );
    expect(
      value('logpipe_ingest_entries_rejected_total{protocol="elasticsearch",reason="unauthorized"}'),
    ).toBe(2);
  });
});
