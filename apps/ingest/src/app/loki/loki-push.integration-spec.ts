import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { compressSync } from 'snappy';
import { queuedEntries } from '../../testing/queued-entries';
import { TEST_REDIS_URL } from '../../testing/ingest-on-own-stream';
import { startIngestApp } from '../../testing/start-ingest-app';

// Event times a minute old: within ENTRY_MAX_AGE and ENTRY_MAX_FUTURE whenever the tests run.
const MINUTE_AGO = Date.now() - 60_000;
const nanos = (epochMs: number, subMs = '000000') => `${epochMs}${subMs}`;
const KEY = `acme-${randomBytes(12).toString('hex')}`;
const BASIC = `Basic ${Buffer.from(`promtail:${KEY}`).toString('base64')}`;

// winston-loki's own generated protobuf code for logproto.PushRequest: the encoder a real client uses.
const { logproto } = require('winston-loki/src/proto') as {
  logproto: { PushRequest: { encode(message: unknown): { finish(): Uint8Array } } };
};

function protobufPush(streams: { labels: string; entries: { ts: number; line: string }[] }[]): Buffer {
  const message = {
    streams: streams.map((stream) => ({
      labels: stream.labels,
      entries: stream.entries.map(({ ts, line }) => ({
        timestamp: { seconds: Math.floor(ts / 1000), nanos: (ts % 1000) * 1_000_000 + 654_321 },
        line,
      })),
    })),
  };
  return compressSync(Buffer.from(logproto.PushRequest.encode(message).finish()));
}

describe('POST /loki/api/v1/push against the real Redis', () => {
  const streamKey = `test:ingest:loki:${randomBytes(4).toString('hex')}`;
  const redis = new Redis(TEST_REDIS_URL);
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await startIngestApp({
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: streamKey,
      API_KEYS: `acme:${KEY}`,
      MAX_BODY_BYTES: '65536',
    });
  });
  afterAll(async () => {
    await app.close();
    await redis.del(streamKey);
    redis.disconnect();
  });
  beforeEach(async () => {
    await redis.del(streamKey);
  });

  const push = (payload: string | Buffer, headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/loki/api/v1/push',
      payload,
      headers: { authorization: BASIC, ...headers },
    });

  async function queued() {
    return queuedEntries(redis, streamKey);
  }

  it('queues a protobuf + snappy push (winston-loki encoding) and answers 204 with no body', async () => {
    const ts = MINUTE_AGO;
    const response = await push(
      protobufPush([
        { labels: '{level="warning",job="checkout"}', entries: [{ ts, line: 'disk almost full' }] },
        {
          labels: '{app="billing", level="err"}',
          entries: [
            { ts: ts + 1, line: 'declined' },
            { ts: ts + 2, line: 'retry' },
          ],
        },
      ]),
      { 'content-type': 'application/x-protobuf' },
    );
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    const entries = await queued();
    expect(
      entries.map(({ timestamp, level, service, message, attributes, tenant }) => ({
        timestamp,
        level,
        service,
        message,
        attributes,
        tenant,
      })),
    ).toEqual([
      {
        timestamp: ts,
        level: 'warn',
        service: 'checkout',
        message: 'disk almost full',
        attributes: { labels: { level: 'warning', job: 'checkout' } },
        tenant: 'acme',
      },
      {
        timestamp: ts + 1,
        level: 'error',
        service: 'billing',
        message: 'declined',
        attributes: { labels: { app: 'billing', level: 'err' } },
        tenant: 'acme',
      },
      {
        timestamp: ts + 2,
        level: 'error',
        service: 'billing',
        message: 'retry',
        attributes: { labels: { app: 'billing', level: 'err' } },
        tenant: 'acme',
      },
    ]);
  });

  it('queues a gzipped JSON push with structured metadata', async () => {
    const body = gzipSync(
      JSON.stringify({
        streams: [
          {
            stream: { service_name: 'api' },
            values: [
              [
                nanos(MINUTE_AGO, '456789'),
                'GET /orders',
                { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', user: 'u1' },
              ],
            ],
          },
        ],
      }),
    );
    const response = await push(body, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(response.statusCode).toBe(204);
    expect(await queued()).toEqual([
      expect.objectContaining({
        timestamp: MINUTE_AGO,
        level: 'info',
        service: 'api',
        message: 'GET /orders',
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        attributes: {
          labels: { service_name: 'api' },
          structured_metadata: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', user: 'u1' },
        },
      }),
    ]);
  });

  it('takes Content-Encoding: snappy on a protobuf push, as Loki does', async () => {
    const response = await push(
      protobufPush([{ labels: '{job="x"}', entries: [{ ts: MINUTE_AGO, line: 'l' }] }]),
      {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
      },
    );
    expect(response.statusCode).toBe(204);
    expect(await queued()).toHaveLength(1);
  });

  it('answers an empty push with 204 and queues nothing', async () => {
    const response = await push('{"streams":[]}', { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(204);
    expect(await queued()).toEqual([]);
  });

  it.each([
    [
      'a bad label string',
      () => protobufPush([{ labels: '{job=x}', entries: [{ ts: 1, line: 'l' }] }]),
      'application/x-protobuf',
      400,
      `Error parsing labels '{job=x}' with error: expected a quoted label value at position 5\n`,
    ],
    [
      'bad snappy',
      () => Buffer.from([0x20, 0x01, 0x02, 0x03]),
      'application/x-protobuf',
      400,
      "couldn't parse push request: invalid snappy data",
    ],
    [
      'a truncated protobuf',
      () =>
        compressSync(
          Buffer.from(
            logproto.PushRequest.encode({
              streams: [{ labels: '{a="b"}', entries: [{ line: 'hello world' }] }],
            }).finish(),
          ).subarray(0, 12),
        ),
      'application/x-protobuf',
      400,
      "couldn't parse push request: invalid protobuf PushRequest",
    ],
    [
      'a numeric JSON timestamp',
      () => '{"streams":[{"stream":{"job":"j"},"values":[[1,"x"]]}]}',
      'application/json',
      400,
      `stream '{job="j"}': values[0]: timestamp must be a string`,
    ],
    [
      'a snappy header announcing more than MAX_BODY_BYTES',
      () => Buffer.from([0x80, 0x80, 0x80, 0x01, 0x00]),
      'application/x-protobuf',
      413,
      'request body too large: 2097152 bytes, limit: 65536 bytes',
    ],
    ['another content type', () => 'job=x', 'text/plain', 415, 'unsupported Content-Type "text/plain"'],
  ])('refuses %s in plain text, queuing nothing', async (_case, body, contentType, status, text) => {
    const response = await push(body(), { 'content-type': contentType });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.body).toContain(text);
    expect(await queued()).toEqual([]);
  });

  it('refuses the whole push when one entry fails the entry rules, naming its stream and index', async () => {
    const response = await push(
      JSON.stringify({
        streams: [
          { stream: { job: 'good' }, values: [[nanos(MINUTE_AGO), 'fine']] },
          {
            stream: { job: 'bad' },
            values: [
              [nanos(MINUTE_AGO), 'fine'],
              [nanos(MINUTE_AGO), ''],
            ],
          },
        ],
      }),
      { 'content-type': 'application/json' },
    );
    expect(response.statusCode).toBe(400);
    expect(response.body).toBe(`stream '{job="bad"}': entry 1: message must not be empty\n`);
    expect(await queued()).toEqual([]);
  });

  it('refuses an entry older than ENTRY_MAX_AGE, naming the stream and the limit (Loki: "timestamp too old")', async () => {
    const response = await push(
      JSON.stringify({ streams: [{ stream: { job: 'old' }, values: [['1000000', 'from 1970']] }] }),
      { 'content-type': 'application/json' },
    );
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatch(
      /^stream '\{job="old"\}': entry 0: 1970-01-01T00:00:00\.001Z is older than the maximum age of 30d \(ENTRY_MAX_AGE\)/,
    );
    expect(await queued()).toEqual([]);
  });

  it('answers a wrong key with 401 in plain text', async () => {
    const response = await push('{"streams":[]}', {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from('promtail:not-the-key-0123456789').toString('base64')}`,
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.body).toBe('the API key is not valid\n');
  });
  it('counts entries, not requests, under protocol="loki" (the tests above, in order)', async () => {
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const value = (series: string) =>
      Number(
        metrics
          .split('\n')
          .find((line) => line.startsWith(`${series} `))
          ?.split(' ')[1] ?? NaN,
      );
    // Queued: 3 (protobuf) + 1 (JSON) + 1 (snappy encoding). Received adds the 6 refused bodies (one
    // entry each), the 3 entries of the push refused for one empty line, the too old one, and the 401.
    expect(value('logpipe_ingest_entries_queued_total{protocol="loki"}')).toBe(5);
    expect(value('logpipe_ingest_entries_received_total{protocol="loki"}')).toBe(5 + 6 + 3 + 1 + 1);
  });
});
