import { Client, errors } from '@elastic/elasticsearch';
import { once } from 'node:events';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import pinoElasticsearch from 'pino-elasticsearch';
import { ShipperStack, type StoredRow } from './support/shipper-stack';

// Event times an hour back (inside ingest's ENTRY_MAX_AGE / ENTRY_MAX_FUTURE window), whole seconds.
const BASE_TIME = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const LEVEL_NAMES = ['debug', 'info', 'warning', 'error', 'critical'];
const LEVEL_OF = {
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
} as const;

/** The stored fields a shipper's document maps to, for comparison. */
const view = (row: StoredRow) => ({
  ts: row.ts.toISOString(),
  level: row.level,
  service: row.service,
  message: row.message,
  attributes: row.attributes,
  event_id: row.event_id,
});

/**
 * Issue 10, Elasticsearch bulk: the real clients (@elastic/elasticsearch 8 `bulk` and `helpers.bulk`,
 * pino-elasticsearch) against the whole stack through nginx at `${NGINX_URL}/elasticsearch`, with the
 * credentials they send (ApiKey, Basic with the key as password). N documents are exactly N rows with
 * the mapped fields; a resent `_id` is stored once; a wrong key is the client's own 401 error; the
 * transport's own retry after a 503 lands every document once; malformed bodies are 4xx, nothing stored.
 */
describe('Elasticsearch bulk API with the real clients', () => {
  const stack = new ShipperStack();
  const node = () => `${stack.url}/elasticsearch`;
  const apiKeyClient = (
    key = stack.keys.acme,
    options: Partial<ConstructorParameters<typeof Client>[0]> = {},
  ) => new Client({ node: node(), auth: { apiKey: { id: 'logpipe-e2e', api_key: key } }, ...options });
  const clients: Client[] = [];
  const track = (client: Client) => {
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    // A short Redis command timeout: the retry test stops Redis, and ingest then answers 503 sooner.
    await stack.start({ REDIS_COMMAND_TIMEOUT_MS: '300' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await stack.stop('elasticsearch');
  });

  it('answers the handshake the clients check (version, X-Elastic-Product) with their credentials', async () => {
    const client = track(apiKeyClient());
    const info = await client.info();
    expect(info.version.number).toBe('8.19.0');
    expect(info.tagline).toBe('You Know, for Search');
    const ping = await track(
      new Client({ node: node(), auth: { username: 'elastic', password: stack.keys.acme } }),
    ).ping();
    expect(ping).toBe(true);
  });

  it('client.bulk (ApiKey): N documents are exactly N rows with service, level, message, ts to the ms and attributes', async () => {
    const client = track(apiKeyClient());
    const count = 25;
    const docs = Array.from({ length: count }, (_, i) => ({
      '@timestamp': new Date(BASE_TIME + i * 1001 + 7).toISOString(),
      log: { level: LEVEL_NAMES[i % LEVEL_NAMES.length], logger: 'checkout.payments' },
      message: `payment ${i} processed`,
      http: { response: { status_code: 200 + i } },
      'user.id': `u-${i}`,
    }));
    const response = await client.bulk({
      operations: docs.flatMap((doc, i) => [{ create: { _index: 'es-client-bulk', _id: `bulk-${i}` } }, doc]),
    });
    expect(response.errors).toBe(false);
    expect(response.items.map((item) => item.create?.status)).toEqual(Array(count).fill(201));
    const rows = await stack.waitForRows('acme', count, 'service = $2', ['es-client-bulk']);
    expect(rows.map(view).sort((a, b) => a.ts.localeCompare(b.ts))).toEqual(
      docs.map((doc, i) => ({
        ts: doc['@timestamp'],
        level: LEVEL_OF[doc.log.level as keyof typeof LEVEL_OF],
        service: 'es-client-bulk',
        message: doc.message,
        attributes: { log: { logger: 'checkout.payments' }, http: doc.http, 'user.id': doc['user.id'] },
        event_id: `bulk-${i}`,
      })),
    );
  });

  it('client.helpers.bulk (Basic, key as password): every document stored once, service from service.name', async () => {
    const client = track(
      new Client({ node: node(), auth: { username: 'filebeat', password: stack.keys.acme } }),
    );
    const count = 60;
    const docs = Array.from({ length: count }, (_, i) => ({
      time: BASE_TIME + i,
      level: [30, 40, 50][i % 3],
      service: { name: 'helpers-checkout', version: '1.4.2' },
      msg: `order ${i} placed`,
      order: { id: i },
    }));
    const stats = await client.helpers.bulk({
      datasource: docs,
      onDocument: () => ({ create: { _index: 'es-helpers' } }),
      flushBytes: 2000,
      concurrency: 2,
    });
    expect({ successful: stats.successful, failed: stats.failed }).toEqual({ successful: count, failed: 0 });
    const rows = await stack.waitForRows('acme', count, 'service = $2', ['helpers-checkout']);
    expect(rows.map(view).sort((a, b) => a.ts.localeCompare(b.ts))).toEqual(
      docs.map((doc) => ({
        ts: new Date(doc.time).toISOString(),
        level: { 30: 'info', 40: 'warn', 50: 'error' }[doc.level],
        service: 'helpers-checkout',
        message: doc.msg,
        attributes: { service: { version: '1.4.2' }, order: doc.order },
        event_id: null,
      })),
    );
  });

  it('stores a resent _id once (index and create alike)', async () => {
    const client = track(apiKeyClient());
    const operations = Array.from({ length: 10 }, (_, i) => [
      { [i % 2 === 0 ? 'index' : 'create']: { _index: 'es-resend', _id: `resend-${i}` } },
      { message: `resent ${i}`, '@timestamp': new Date(BASE_TIME + i).toISOString() },
    ]).flat();
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await client.bulk({ operations });
      expect(response.errors).toBe(false);
    }
    const rows = await stack.waitForRows('acme', 10, 'service = $2', ['es-resend']);
    expect(rows.map((row) => row.event_id).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `resend-${i}`).sort(),
    );
  });

  it('pino-elasticsearch: every log line is a row, pino levels and times mapped, the index as service', async () => {
    const stream = pinoElasticsearch({
      node: node(),
      auth: { username: 'pino', password: stack.keys.acme },
      index: 'pino-app',
      esVersion: 8,
      flushBytes: 500,
      flushInterval: 200,
    });
    const failures: unknown[] = [];
    stream.on('insertError', (error: unknown) => failures.push(error));
    stream.on('error', (error: unknown) => failures.push(error));
    const inserted = once(stream, 'insert');
    // Each line's time is set before it is logged, so the stored ts can be compared to the millisecond.
    let now = BASE_TIME;
    const logger = pino({ level: 'trace', timestamp: () => `,"time":${now}` }, stream);
    const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
    for (let i = 0; i < 30; i++) {
      now = BASE_TIME + 500 + i;
      logger[levels[i % levels.length]]({ request: { id: `r-${i}` } }, `pino line ${i}`);
    }
    stream.end();
    const [stats] = (await inserted) as [{ successful: number; failed: number }];
    expect(failures).toEqual([]);
    expect({ successful: stats.successful, failed: stats.failed }).toEqual({ successful: 30, failed: 0 });
    const rows = await stack.waitForRows('acme', 30, 'service = $2', ['pino-app']);
    expect(
      rows
        .map((row) => ({ ...view(row), attributes: { request: row.attributes?.['request'] } }))
        .sort((a, b) => a.ts.localeCompare(b.ts)),
    ).toEqual(
      Array.from({ length: 30 }, (_, i) => ({
        ts: new Date(BASE_TIME + 500 + i).toISOString(),
        level: levels[i % levels.length],
        service: 'pino-app',
        message: `pino line ${i}`,
        attributes: { request: { id: `r-${i}` } },
        event_id: null,
      })),
    );
    expect(
      rows.every(
        (row) => typeof row.attributes?.['pid'] === 'number' && 'hostname' in (row.attributes ?? {}),
      ),
    ).toBe(true);
  });

  it("refuses a wrong key with the client's own ResponseError 401, storing nothing", async () => {
    const client = track(apiKeyClient('not-the-key-0123456789abcdef', { maxRetries: 0 }));
    const bulk = client.bulk({
      operations: [{ create: { _index: 'es-wrong-key' } }, { message: 'never stored' }],
    });
    await expect(bulk).rejects.toBeInstanceOf(errors.ResponseError);
    await expect(bulk).rejects.toMatchObject({
      statusCode: 401,
      body: { error: { type: 'security_exception' } },
    });
    const basic = track(
      new Client({ node: node(), auth: { username: 'elastic', password: 'wrong-0123456789abcdef' } }),
    );
    await expect(basic.info()).rejects.toMatchObject({ statusCode: 401 });
    await stack.drained();
    expect(await stack.rows('acme', 'service = $2', ['es-wrong-key'])).toEqual([]);
  });

  it("lands every document exactly once through the transport's own retry after a 503 (Redis stopped)", async () => {
    const client = track(apiKeyClient(stack.keys.acme, { maxRetries: 5 }));
    const redisPid = stack.pid('redis');
    let stopped = false;
    const statuses: number[] = [];
    // The transport emits 'request' before every attempt: the first goes to a stopped Redis (503),
    // the retry finds it running again.
    client.diagnostic.on('request', (_error, event) => {
      if (stopped && (event?.meta.attempts ?? 0) > 0) {
        process.kill(redisPid, 'SIGCONT');
        stopped = false;
      }
    });
    client.diagnostic.on('response', (_error, event) => {
      if (event?.statusCode != null) statuses.push(event.statusCode);
    });
    const count = 40;
    const operations = Array.from({ length: count }, (_, i) => [
      { create: { _index: 'es-retry', _id: `retry-${i}` } },
      { message: `retried ${i}`, '@timestamp': new Date(BASE_TIME + i).toISOString() },
    ]).flat();
    process.kill(redisPid, 'SIGSTOP');
    stopped = true;
    let result;
    try {
      result = await client.bulk({ operations }, { meta: true });
    } finally {
      if (stopped) process.kill(redisPid, 'SIGCONT');
    }
    expect(result.body.errors).toBe(false);
    expect(result.meta.attempts).toBeGreaterThan(0);
    expect(statuses.at(-1)).toBe(200);
    const rows = await stack.waitForRows('acme', count, 'service = $2', ['es-retry']);
    expect(rows.map((row) => row.event_id).sort()).toEqual(
      Array.from({ length: count }, (_, i) => `retry-${i}`).sort(),
    );
  });

  describe('malformed bodies: a 4xx in Elasticsearch shape, nothing stored', () => {
    const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
      fetch(`${node()}/es-malformed/_bulk`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stack.keys.acme}`,
          'content-type': 'application/x-ndjson',
          ...headers,
        },
        body,
      });

    it.each([
      [
        'an action without its source',
        '{"create":{}}\n{"message":"kept?"}\n{"create":{}}\n',
        400,
        /line \[3\]/,
      ],
      ['a bad action line', '{"create":{}\n{"message":"x"}\n', 400, /Malformed action\/metadata line \[1\]/],
      ['wrong types in an action', '{"create":{"_id":{"a":1}}}\n{"message":"x"}\n', 400, /_id/],
      ['a JSON array instead of NDJSON', '[{"create":{}},{"message":"x"}]', 400, /line \[1\]/],
    ])('%s', async (_name, body, status, reason) => {
      const response = await post(body);
      expect(response.status).toBe(status);
      expect(response.headers.get('x-elastic-product')).toBe('Elasticsearch');
      const answer = (await response.json()) as { status: number; error: { type: string; reason: string } };
      expect(answer.status).toBe(status);
      expect(answer.error.reason).toMatch(reason);
    });

    it('corrupt gzip', async () => {
      const valid = gzipSync('{"create":{}}\n{"message":"x"}\n');
      const response = await post(valid.subarray(0, valid.length - 6), { 'content-encoding': 'gzip' });
      expect(response.status).toBe(400);
    });

    it('the client itself sending an action without a source gets its ResponseError 400', async () => {
      const client = track(apiKeyClient());
      await expect(
        client.bulk({ operations: [{ create: { _index: 'es-malformed' } }] }),
      ).rejects.toMatchObject({
        statusCode: 400,
        body: { error: { type: 'illegal_argument_exception' } },
      });
    });

    afterAll(async () => {
      await stack.drained();
      expect(await stack.rows('acme', 'service = $2', ['es-malformed'])).toEqual([]);
    });
  });
});
