import type { LogEntry } from '@logpipe/log-schema';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { queuedEntries } from '../../testing/queued-entries';
import { TEST_REDIS_URL } from '../../testing/ingest-on-own-stream';
import { startIngestApp } from '../../testing/start-ingest-app';

const KEY = `acme-${randomBytes(12).toString('hex')}`;
// An hour back (inside ENTRY_MAX_AGE / ENTRY_MAX_FUTURE, which OTLP records obey per item), at .123 s.
const EVENT_MS = Math.floor((Date.now() - 3_600_000) / 1000) * 1000 + 123;

/** A record as the SDK hands it to the exporter's serializer (only what the serializer reads). */
function sdkRecord(service: string, message: string, severityNumber = 9): ReadableLogRecord {
  return {
    hrTime: [Math.floor(EVENT_MS / 1000), (EVENT_MS % 1000) * 1e6 + 456],
    hrTimeObserved: [Math.floor(EVENT_MS / 1000), 0],
    severityNumber,
    body: message,
    attributes: { 'http.route': '/v1/orders' },
    resource: { attributes: { 'service.name': service } },
    instrumentationScope: { name: 'orders' },
    droppedAttributesCount: 0,
    spanContext: { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceFlags: 1 },
  } as unknown as ReadableLogRecord;
}

function protobuf(records: ReadableLogRecord[]): Buffer {
  return Buffer.from(ProtobufLogsSerializer.serializeRequest(records) ?? []);
}

const jsonRequest = (service: string, messages: string[]) =>
  JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeLogs: [
          { logRecords: messages.map((m) => ({ severityText: 'WARN', body: { stringValue: m } })) },
        ],
      },
    ],
  });

describe('POST /v1/logs (OTLP/HTTP)', () => {
  const streamKey = `test:ingest:otlp:${randomBytes(4).toString('hex')}`;
  const redis = new Redis(TEST_REDIS_URL);
  let app: NestFastifyApplication;
  // Booting the app compiles and loads its whole module tree: seconds on a loaded 2-core machine.
  beforeAll(async () => {
    app = await startIngestApp({ REDIS_URL: TEST_REDIS_URL, STREAM_KEY: streamKey, API_KEYS: `acme:${KEY}` });
  }, 60_000);
  afterAll(async () => {
    await app.close();
    await redis.del(streamKey);
    redis.disconnect();
  });
  beforeEach(async () => {
    await redis.del(streamKey);
  });

  const post = (payload: string | Buffer, contentType: string, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/v1/logs',
      payload,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': contentType, ...headers },
    });

  async function stored(): Promise<LogEntry[]> {
    return queuedEntries(redis, streamKey);
  }

  it('queues protobuf records and answers an empty ExportLogsServiceResponse in protobuf', async () => {
    const response = await post(
      protobuf([sdkRecord('checkout', 'one'), sdkRecord('checkout', 'two', 17)]),
      'application/x-protobuf',
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-protobuf');
    expect(response.rawPayload).toHaveLength(0);
    const entries = await stored();
    expect(
      entries.map((e) => [e.service, e.level, e.message, e.timestamp, e.traceId, e.spanId, e.tenant]),
    ).toEqual([
      ['checkout', 'info', 'one', EVENT_MS, 'ab'.repeat(16), 'cd'.repeat(8), 'acme'],
      ['checkout', 'error', 'two', EVENT_MS, 'ab'.repeat(16), 'cd'.repeat(8), 'acme'],
    ]);
    expect(entries[0].attributes).toMatchObject({
      'http.route': '/v1/orders',
      otel: { scope: { name: 'orders' } },
    });
  });

  it('queues OTLP/JSON, also gzipped, and answers {} in JSON', async () => {
    const plain = await post(jsonRequest('billing', ['a', 'b']), 'application/json');
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('application/json');
    expect(plain.json()).toEqual({});
    const zipped = await post(gzipSync(jsonRequest('billing', ['c'])), 'application/json', {
      'content-encoding': 'gzip',
    });
    expect(zipped.statusCode).toBe(200);
    expect((await stored()).map((e) => [e.service, e.level, e.message])).toEqual([
      ['billing', 'warn', 'a'],
      ['billing', 'warn', 'b'],
      ['billing', 'warn', 'c'],
    ]);
  });

  it('stores the valid records and reports the refused one in partial_success', async () => {
    const tooLong = 's'.repeat(129);
    const response = await post(
      protobuf([sdkRecord('ok', 'first'), sdkRecord(tooLong, 'refused'), sdkRecord('ok', 'last')]),
      'application/x-protobuf',
    );
    expect(response.statusCode).toBe(200);
    const answer = ProtobufLogsSerializer.deserializeResponse(response.rawPayload);
    expect(Number(answer.partialSuccess?.rejectedLogRecords)).toBe(1);
    expect(answer.partialSuccess?.errorMessage).toMatch(
      /^1 of 3 log records rejected: resourceLogs\[1\]\.scopeLogs\[0\]\.logRecords\[0\]: service /,
    );
    expect((await stored()).map((e) => e.message).sort()).toEqual(['first', 'last']);
  });

  it('answers 400 with a google.rpc.Status when no record is valid, and queues nothing', async () => {
    const response = await post(jsonRequest('s'.repeat(129), ['x']), 'application/json');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      code: 3,
      message: expect.stringMatching(/^1 of 1 log records rejected/),
    });
    expect(await stored()).toEqual([]);
  });

  it('answers 400 for bodies that do not decode, in the encoding of the request', async () => {
    const body = protobuf([sdkRecord('x', 'y')]);
    const truncated = await post(body.subarray(0, body.length - 3), 'application/x-protobuf');
    expect(truncated.statusCode).toBe(400);
    expect(truncated.headers['content-type']).toBe('application/x-protobuf');
    // google.rpc.Status: field 1 (code) = 3, INVALID_ARGUMENT.
    expect([...truncated.rawPayload.subarray(0, 2)]).toEqual([0x08, 0x03]);

    const wrongType = await post('{"resourceLogs":{}}', 'application/json');
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json()).toEqual({ code: 3, message: 'resourceLogs must be a JSON array (got object)' });

    const corruptGzip = await post(Buffer.from('not gzip at all'), 'application/json', {
      'content-encoding': 'gzip',
    });
    expect(corruptGzip.statusCode).toBe(400);
    expect(await stored()).toEqual([]);
  });

  it('answers 415 naming both content types', async () => {
    const response = await post(jsonRequest('x', ['y']), 'text/plain');
    expect(response.statusCode).toBe(415);
    expect(response.json().message).toContain('application/x-protobuf or application/json');
  });

  it('answers 401 as a google.rpc.Status for a wrong key and queues nothing', async () => {
    const response = await post(protobuf([sdkRecord('x', 'y')]), 'application/x-protobuf', {
      authorization: 'Bearer not-the-key-0123456789',
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toBe('application/x-protobuf');
    expect(response.rawPayload[0]).toBe(0x08);
    expect(response.rawPayload[1]).toBe(16);
    expect(await stored()).toEqual([]);
  });

  it('counts OTLP records under the otlp protocol label', async () => {
    await post(jsonRequest('m', ['1', '2', '3']), 'application/json');
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const queued = metrics
      .split('\n')
      .find((line) => line.startsWith('logpipe_ingest_entries_queued_total{protocol="otlp"}'));
    expect(Number(queued?.split(' ')[1])).toBeGreaterThanOrEqual(3);
  });
});
