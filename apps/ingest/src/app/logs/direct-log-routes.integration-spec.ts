import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Response } from 'light-my-request';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ingestOnOwnStream } from '../../testing/ingest-on-own-stream';
import { queuedEntries } from '../../testing/queued-entries';
import { injectThroughServer } from '../../testing/server-inject';
const KEY = `acme-${randomBytes(12).toString('hex')}`;

const entry = (overrides: Record<string, unknown> = {}) => ({
  level: 'info',
  service: 'checkout',
  message: 'order placed',
  ...overrides,
});
const ndjson = (entries: object[]) => entries.map((e) => JSON.stringify(e)).join('\n') + '\n';

interface Case {
  name: string;
  url?: string;
  body: string | Buffer;
  headers?: Record<string, string>;
  /** Which way the server sends it: the direct log routes, or Fastify. */
  lane: 'direct' | 'framework';
  status: number;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const NDJSON_TYPE = { 'content-type': 'application/x-ndjson' };
const GZIP_JSON = { ...JSON_TYPE, 'content-encoding': 'gzip' };

/** MAX_BODY_BYTES is 65536 and MAX_BATCH_ENTRIES 50 in the app below. */
const CASES: Case[] = [
  { name: 'one entry', url: '/api/log', body: JSON.stringify(entry()), lane: 'direct', status: 202 },
  {
    name: 'one entry, with the charset',
    url: '/api/log',
    body: JSON.stringify(entry()),
    headers: { 'content-type': 'Application/JSON; charset=utf-8' },
    lane: 'direct',
    status: 202,
  },
  { name: 'a JSON array', body: JSON.stringify([entry(), entry()]), lane: 'direct', status: 202 },
  { name: 'NDJSON', body: ndjson([entry(), entry()]), headers: NDJSON_TYPE, lane: 'direct', status: 202 },
  {
    name: 'a gzip JSON array',
    body: gzipSync(JSON.stringify([entry()])),
    headers: GZIP_JSON,
    lane: 'direct',
    status: 202,
  },
  {
    name: 'gzip NDJSON',
    body: gzipSync(ndjson([entry(), entry()])),
    headers: { ...NDJSON_TYPE, 'content-encoding': 'x-gzip' },
    lane: 'direct',
    status: 202,
  },
  { name: 'broken JSON', url: '/api/log', body: '{"level":', lane: 'direct', status: 400 },
  {
    name: 'an empty body',
    url: '/api/log',
    body: '',
    // light-my-request sends no Content-Length for an empty payload; clients do.
    headers: { ...JSON_TYPE, 'content-length': '0' },
    lane: 'direct',
    status: 400,
  },
  { name: 'invalid UTF-8', body: Buffer.from([0x5b, 0x22, 0xff, 0x22, 0x5d]), lane: 'direct', status: 400 },
  {
    name: 'an invalid entry',
    url: '/api/log',
    body: JSON.stringify(entry({ level: 'loud' })),
    lane: 'direct',
    status: 400,
  },
  {
    name: 'a batch with an invalid entry',
    body: JSON.stringify([entry(), entry({ extra: 1 })]),
    lane: 'direct',
    status: 400,
  },
  { name: 'an empty batch', body: '[]', lane: 'direct', status: 400 },
  { name: 'one entry to /api/logs', body: JSON.stringify(entry()), lane: 'direct', status: 400 },
  { name: 'a bad NDJSON line', body: '{"a":1}\n{nope\n', headers: NDJSON_TYPE, lane: 'direct', status: 400 },
  {
    name: 'a batch over MAX_BATCH_ENTRIES',
    body: JSON.stringify(Array.from({ length: 51 }, () => entry())),
    lane: 'direct',
    status: 413,
  },
  {
    name: 'a gzip bomb',
    body: gzipSync(JSON.stringify([entry({ message: 'x'.repeat(200_000) })])),
    headers: GZIP_JSON,
    lane: 'direct',
    status: 413,
  },
  {
    name: 'corrupt gzip',
    body: Buffer.concat([gzipSync('[]').subarray(0, 10), Buffer.from('not deflate at all')]),
    headers: GZIP_JSON,
    lane: 'direct',
    status: 400,
  },
  {
    name: 'NDJSON to /api/log',
    url: '/api/log',
    body: ndjson([entry()]),
    headers: NDJSON_TYPE,
    lane: 'framework',
    status: 415,
  },
  {
    name: 'text/plain',
    body: JSON.stringify([entry()]),
    headers: { 'content-type': 'text/plain' },
    lane: 'framework',
    status: 415,
  },
  {
    name: 'an unsupported encoding',
    body: JSON.stringify([entry()]),
    headers: { ...JSON_TYPE, 'content-encoding': 'br' },
    lane: 'framework',
    status: 415,
  },
  {
    name: 'a Content-Length over MAX_BODY_BYTES',
    body: JSON.stringify([entry({ message: 'x'.repeat(70_000) })]),
    lane: 'framework',
    status: 413,
  },
  {
    name: 'a query string',
    url: '/api/log?source=test',
    body: JSON.stringify(entry()),
    lane: 'framework',
    status: 202,
  },
];

/** What a client reads of an answer; stream ids, which differ from request to request, masked. */
function seen(response: Response) {
  const { headers } = response;
  return {
    status: response.statusCode,
    body: response.body.replace(/"\d+-\d+(#\d+)?"/g, '"<id>"'),
    contentType: headers['content-type'],
    retryAfter: headers['retry-after'],
    challenge: headers['www-authenticate'],
    instance: headers['x-logpipe-instance'],
  };
}

/** Counters from GET /metrics: `samples[name]` is the value of the sample `name{label="…"}`. */
async function counters(
  app: NestFastifyApplication,
  samples: Record<string, string>,
): Promise<Record<string, number>> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const escaped = (sample: string) => sample.replace(/[{}]/g, '\\$&');
  return Object.fromEntries(
    Object.entries(samples).map(([name, sample]) => [
      name,
      Number(new RegExp(`^${escaped(sample)} (\\d+)$`, 'm').exec(text)?.[1] ?? 0),
    ]),
  );
}

/** logpipe_http_write_requests_total by lane. */
const lanes = (app: NestFastifyApplication) =>
  counters(app, {
    direct: 'logpipe_http_write_requests_total{lane="direct"}',
    framework: 'logpipe_http_write_requests_total{lane="framework"}',
  });

describe('POST /api/log(s) served before Fastify (the direct log routes)', () => {
  const {
    streamKey,
    redis,
    app: ingest,
  } = ingestOnOwnStream('direct', {
    MAX_BODY_BYTES: '65536',
    MAX_BATCH_ENTRIES: '50',
  });
  let app: NestFastifyApplication;
  beforeAll(() => {
    app = ingest();
  });

  it.each(CASES)('answers $name as Fastify does ($status), through the $lane way', async (c) => {
    const options = {
      method: 'POST' as const,
      url: c.url ?? '/api/logs',
      payload: c.body,
      headers: c.headers ?? JSON_TYPE,
    };
    const before = await lanes(app);
    const throughServer = await injectThroughServer(app, options);
    const after = await lanes(app);
    expect(after.direct - before.direct).toBe(c.lane === 'direct' ? 1 : 0);
    expect(after.framework - before.framework).toBe(c.lane === 'framework' ? 1 : 0);
    const byFastify = await app.inject(options);
    expect(seen(throughServer)).toEqual(seen(byFastify));
    expect(throughServer.statusCode).toBe(c.status);
  });

  it('queues what it accepts once, and counts entries as Fastify does', async () => {
    await redis.del(streamKey, `${streamKey}:entries`);
    const metric = () =>
      counters(app, {
        received: 'logpipe_ingest_entries_received_total{protocol="logpipe"}',
        queued: 'logpipe_ingest_entries_queued_total{protocol="logpipe"}',
      });
    const before = await metric();
    const batch = [entry({ message: 'm1' }), entry({ message: 'm2' }), entry({ message: 'm3' })];
    const answer = await injectThroughServer(app, {
      method: 'POST',
      url: '/api/logs',
      payload: gzipSync(ndjson(batch)),
      headers: { ...NDJSON_TYPE, 'content-encoding': 'gzip' },
    });
    expect(answer.json()).toEqual({ status: 'queued', count: 3 });
    const refused = await injectThroughServer(app, {
      method: 'POST',
      url: '/api/logs',
      payload: JSON.stringify([entry(), entry({ level: 'loud' })]),
      headers: JSON_TYPE,
    });
    expect(refused.statusCode).toBe(400);
    const after = await metric();
    expect({ received: after.received - before.received, queued: after.queued - before.queued }).toEqual({
      received: 5,
      queued: 3,
    });
    const stored = await queuedEntries(redis, streamKey);
    expect(stored.map((e) => e.message)).toEqual(['m1', 'm2', 'm3']);
  });
});

describe('the direct log routes with API keys, over real connections', () => {
  const { streamKey, redis, app: ingest } = ingestOnOwnStream('direct-keys', { API_KEYS: `acme:${KEY}` });
  let app: NestFastifyApplication;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    app = ingest();
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => agent.destroy());

  function post(path: string, body: string, headers: Record<string, string>) {
    return new Promise<{ status: number; body: string; reused: boolean; headers: Record<string, unknown> }>(
      (resolve, reject) => {
        const req = request({ port, host: '127.0.0.1', path, method: 'POST', agent, headers }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: text,
              reused: req.reusedSocket,
              headers: res.headers,
            }),
          );
        });
        req.on('error', reject);
        req.end(body);
      },
    );
  }

  it('takes a request with a valid key, stores it under the key tenant, and keeps the connection', async () => {
    const before = await lanes(app);
    const headers = { ...JSON_TYPE, authorization: `Bearer ${KEY}` };
    const first = await post('/api/log', JSON.stringify(entry({ message: 'k1' })), headers);
    const second = await post('/api/logs', JSON.stringify([entry({ message: 'k2' })]), headers);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.reused).toBe(true);
    expect((await lanes(app)).direct - before.direct).toBe(2);
    const stored = await queuedEntries(redis, streamKey);
    expect(stored.map((e) => [e.message, e.tenant])).toEqual([
      ['k1', 'acme'],
      ['k2', 'acme'],
    ]);
  });

  it('leaves a request without a valid key to Fastify, which answers 401 with the challenge', async () => {
    const before = await lanes(app);
    const missing = await post('/api/log', JSON.stringify(entry()), JSON_TYPE);
    const wrong = await post('/api/log', JSON.stringify(entry()), { ...JSON_TYPE, 'x-api-key': 'nope' });
    expect([missing.status, wrong.status]).toEqual([401, 401]);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="logpipe"');
    const after = await lanes(app);
    expect([after.direct - before.direct, after.framework - before.framework]).toEqual([0, 2]);
  });

  it('keeps idle connections as Fastify would (keepAliveTimeout 72 s, longer than nginx keeps them)', () => {
    expect(app.getHttpServer().keepAliveTimeout).toBe(72_000);
  });
});
