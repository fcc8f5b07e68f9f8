import fc from 'fast-check';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { compressSync as snappyCompress } from 'snappy';
import { TestSchema } from './support/database';
import { printLine } from './support/fault-results';
import { ProcessRegistry, type ServiceProcess } from './support/processes';
import { closeRawAgent, type RawAnswer, rawPost } from './support/raw-http';
import { StreamProbe } from './support/stream';
import { suiteWorkerEnv, TEST_DATABASE_URL, TEST_REDIS_URL, waitFor } from '@logpipe/e2e-support';

const JSON_TYPE = { 'content-type': 'application/json' };
const NDJSON_TYPE = { 'content-type': 'application/x-ndjson' };
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_BATCH_ENTRIES = 100;

const valid = { level: 'info', service: 'corpus', message: 'a valid entry' };
const json = (value: unknown) => JSON.stringify(value);
const entry = (overrides: Record<string, unknown>) => json({ ...valid, ...overrides });
const nest = (depth: number): unknown => (depth === 0 ? 1 : { n: nest(depth - 1) });

type Case = [
  name: string,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer,
  status: number,
];

/** Issue 4, "Bad input": every malformed request is a 4xx with a clear JSON message and changes nothing. */
const CORPUS: Case[] = [
  // Broken JSON and wrong shapes
  ['broken JSON', '/api/log', JSON_TYPE, '{"level":', 400],
  ['trailing garbage after the object', '/api/log', JSON_TYPE, `${json(valid)} trailing`, 400],
  ['an empty body', '/api/log', JSON_TYPE, '', 400],
  ['JSON null', '/api/log', JSON_TYPE, 'null', 400],
  ['a JSON number', '/api/log', JSON_TYPE, '42', 400],
  ['a JSON string', '/api/log', JSON_TYPE, '"info"', 400],
  ['an array to the single-entry route', '/api/log', JSON_TYPE, json([valid]), 400],
  ['an object to the batch route', '/api/logs', JSON_TYPE, json(valid), 400],
  ['an empty batch', '/api/logs', JSON_TYPE, '[]', 400],
  ['a batch holding null, a number and a string', '/api/logs', JSON_TYPE, json([valid, null, 5, 'x']), 400],
  [
    'a batch with one invalid entry among valid ones',
    '/api/logs',
    JSON_TYPE,
    json([valid, { ...valid, level: 'loud' }, valid]),
    400,
  ],
  ['NDJSON with a broken line', '/api/logs', NDJSON_TYPE, `${json(valid)}\n{broken\n`, 400],
  [
    'a batch over MAX_BATCH_ENTRIES',
    '/api/logs',
    JSON_TYPE,
    json(Array.from({ length: MAX_BATCH_ENTRIES + 1 }, () => valid)),
    413,
  ],
  // Wrong types and missing fields
  ['an empty object', '/api/log', JSON_TYPE, '{}', 400],
  ['a missing message', '/api/log', JSON_TYPE, json({ level: 'info', service: 's' }), 400],
  ['level as a number', '/api/log', JSON_TYPE, entry({ level: 5 }), 400],
  ['an unknown level', '/api/log', JSON_TYPE, entry({ level: 'loud' }), 400],
  ['service as a number', '/api/log', JSON_TYPE, entry({ service: 123 }), 400],
  ['message as an object', '/api/log', JSON_TYPE, entry({ message: { text: 'x' } }), 400],
  ['an empty message', '/api/log', JSON_TYPE, entry({ message: '' }), 400],
  ['attributes as a string', '/api/log', JSON_TYPE, entry({ attributes: 'x' }), 400],
  ['attributes as an array', '/api/log', JSON_TYPE, entry({ attributes: [1, 2] }), 400],
  ['attributes as null', '/api/log', JSON_TYPE, entry({ attributes: null }), 400],
  ['trace_id as a number', '/api/log', JSON_TYPE, entry({ trace_id: 123 }), 400],
  ['span_id that is not hex', '/api/log', JSON_TYPE, entry({ span_id: 'zzzzzzzzzzzzzzzz' }), 400],
  ['an id with spaces', '/api/log', JSON_TYPE, entry({ id: 'has space' }), 400],
  ['an unknown top-level field', '/api/log', JSON_TYPE, entry({ extra: 1 }), 400],
  // Huge strings and deep nesting
  ['a message over 64 KiB', '/api/log', JSON_TYPE, entry({ message: 'm'.repeat(65537) }), 400],
  [
    'a message of 64 KiB of 3-byte characters',
    '/api/log',
    JSON_TYPE,
    entry({ message: '€'.repeat(22000) }),
    400,
  ],
  ['a service over 128 characters', '/api/log', JSON_TYPE, entry({ service: 's'.repeat(129) }), 400],
  ['attributes over 16 KiB', '/api/log', JSON_TYPE, entry({ attributes: { big: 'a'.repeat(17000) } }), 400],
  ['attributes nested 9 levels', '/api/log', JSON_TYPE, entry({ attributes: nest(9) }), 400],
  [
    'attributes nested 5,000 levels',
    '/api/log',
    JSON_TYPE,
    `{"level":"info","service":"s","message":"m","attributes":${'{"n":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    400,
  ],
  ['a JSON array nested 100,000 levels', '/api/log', JSON_TYPE, '['.repeat(100000) + ']'.repeat(100000), 400],
  [
    'an object nested 50,000 levels',
    '/api/log',
    JSON_TYPE,
    '{"a":'.repeat(50000) + '1' + '}'.repeat(50000),
    400,
  ],
  [
    'a body over MAX_BODY_BYTES',
    '/api/log',
    JSON_TYPE,
    entry({ message: 'x'.repeat(MAX_BODY_BYTES + 10) }),
    413,
  ],
  // NUL bytes, invalid UTF-8, lone surrogates
  ['an escaped NUL in the message', '/api/log', JSON_TYPE, entry({ message: 'a\u0000b' }), 400],
  ['an escaped NUL in the service', '/api/log', JSON_TYPE, entry({ service: 'svc\u0000' }), 400],
  ['an escaped NUL in an attribute key', '/api/log', JSON_TYPE, entry({ attributes: { 'k\u0000': 1 } }), 400],
  [
    'a raw NUL byte inside a string',
    '/api/log',
    JSON_TYPE,
    Buffer.from('{"level":"info","service":"s","message":"a\u0000b"}'),
    400,
  ],
  ['a raw NUL byte between tokens', '/api/log', JSON_TYPE, Buffer.from(`${json(valid)}\u0000`), 400],
  [
    'invalid UTF-8 bytes',
    '/api/log',
    JSON_TYPE,
    Buffer.concat([
      Buffer.from('{"level":"info","service":"s","message":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]),
    400,
  ],
  [
    'an overlong UTF-8 encoding',
    '/api/log',
    JSON_TYPE,
    Buffer.concat([
      Buffer.from('{"level":"info","service":"s","message":"'),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from('"}'),
    ]),
    400,
  ],
  [
    'a UTF-8-encoded surrogate',
    '/api/log',
    JSON_TYPE,
    Buffer.concat([
      Buffer.from('{"level":"info","service":"s","message":"'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('"}'),
    ]),
    400,
  ],
  [
    'an escaped lone surrogate',
    '/api/log',
    JSON_TYPE,
    '{"level":"info","service":"s","message":"x\\ud800y"}',
    400,
  ],
  [
    'invalid UTF-8 in NDJSON',
    '/api/logs',
    NDJSON_TYPE,
    Buffer.concat([
      Buffer.from(`${json(valid)}\n{"level":"info","service":"s","message":"`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}\n'),
    ]),
    400,
  ],
  // Content types and encodings
  ['text/plain', '/api/log', { 'content-type': 'text/plain' }, json(valid), 415],
  ['no content type', '/api/log', {}, json(valid), 415],
  [
    'form-urlencoded',
    '/api/log',
    { 'content-type': 'application/x-www-form-urlencoded' },
    'level=info&service=s&message=m',
    415,
  ],
  [
    'multipart/form-data',
    '/api/log',
    { 'content-type': 'multipart/form-data; boundary=x' },
    '--x\r\n\r\nhello\r\n--x--',
    415,
  ],
  ['application/xml', '/api/log', { 'content-type': 'application/xml' }, '<log/>', 415],
  ['NDJSON to the single-entry route', '/api/log', NDJSON_TYPE, json(valid), 415],
  ['content encoding br', '/api/logs', { ...JSON_TYPE, 'content-encoding': 'br' }, json([valid]), 415],
  [
    'content encoding deflate',
    '/api/logs',
    { ...JSON_TYPE, 'content-encoding': 'deflate' },
    json([valid]),
    415,
  ],
  ['gzip that is not gzip', '/api/logs', { ...JSON_TYPE, 'content-encoding': 'gzip' }, json([valid]), 400],
  [
    'truncated gzip',
    '/api/logs',
    { ...JSON_TYPE, 'content-encoding': 'gzip' },
    gzipSync(json([valid, valid])).subarray(0, 20),
    400,
  ],
  [
    'gzip with a corrupt body',
    '/api/logs',
    { ...JSON_TYPE, 'content-encoding': 'gzip' },
    Buffer.concat([gzipSync(json([valid])).subarray(0, 10), randomBytes(40)]),
    400,
  ],
  // Found by the random-bytes property below: this used to crash ingest (unhandled zlib 'error').
  [
    'gzip declared on an empty text/plain body',
    '/api/logs',
    { 'content-type': 'text/plain', 'content-encoding': 'gzip' },
    '',
    415,
  ],
  ['corrupt gzip with no content type', '/api/log', { 'content-encoding': 'gzip' }, randomBytes(64), 415],
  [
    'a gzip bomb (64 MiB of spaces)',
    '/api/logs',
    { ...JSON_TYPE, 'content-encoding': 'gzip' },
    gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)),
    413,
  ],
  // Timestamps
  ['a negative epoch timestamp', '/api/log', JSON_TYPE, entry({ timestamp: -1 }), 400],
  ['a huge epoch timestamp', '/api/log', JSON_TYPE, entry({ timestamp: 1e20 }), 400],
  ['an epoch timestamp past year 9999', '/api/log', JSON_TYPE, entry({ timestamp: 253402300800000 }), 400],
  ['a fractional epoch timestamp', '/api/log', JSON_TYPE, entry({ timestamp: 1.5 }), 400],
  [
    'an ISO timestamp without an offset',
    '/api/log',
    JSON_TYPE,
    entry({ timestamp: '2026-11-26T10:00:00' }),
    400,
  ],
  ['an impossible ISO date', '/api/log', JSON_TYPE, entry({ timestamp: '2026-02-30T00:00:00Z' }), 400],
  ['a timestamp in words', '/api/log', JSON_TYPE, entry({ timestamp: 'yesterday' }), 400],
  ['a boolean timestamp', '/api/log', JSON_TYPE, entry({ timestamp: true }), 400],
  // Prototype pollution
  [
    'a top-level __proto__ key',
    '/api/log',
    JSON_TYPE,
    '{"__proto__":{"polluted":true},"level":"info","service":"s","message":"m"}',
    400,
  ],
  [
    '__proto__ inside attributes',
    '/api/log',
    JSON_TYPE,
    '{"level":"info","service":"s","message":"m","attributes":{"__proto__":{"polluted":true}}}',
    400,
  ],
  [
    'an escaped __proto__ key',
    '/api/log',
    JSON_TYPE,
    '{"level":"info","service":"s","message":"m","attributes":{"\\u005f_proto__":{"polluted":true}}}',
    400,
  ],
  [
    'constructor.prototype',
    '/api/log',
    JSON_TYPE,
    '{"level":"info","service":"s","message":"m","attributes":{"constructor":{"prototype":{"polluted":true}}}}',
    400,
  ],
  [
    '__proto__ in a batch entry',
    '/api/logs',
    JSON_TYPE,
    `[${json(valid)},{"__proto__":{"x":1},"level":"info","service":"s","message":"m"}]`,
    400,
  ],
  [
    '__proto__ in an NDJSON line',
    '/api/logs',
    NDJSON_TYPE,
    `${json(valid)}\n{"level":"info","service":"s","message":"m","__proto__":{"x":1}}\n`,
    400,
  ],
];

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const is2xx = (status: number) => status >= 200 && status < 300;

/** One field of a generated entry: its value (undefined = absent) and whether the README's rules allow it. */
type Field = { value: unknown; ok: boolean };
const field = (
  good: fc.Arbitrary<unknown>,
  bad: fc.Arbitrary<unknown>,
  optional: boolean,
): fc.Arbitrary<Field> =>
  fc.oneof(
    { weight: 6, arbitrary: good.map((value) => ({ value, ok: true })) },
    { weight: 1, arbitrary: bad.map((value) => ({ value, ok: false })) },
    ...(optional ? [{ weight: 2, arbitrary: fc.constant({ value: undefined, ok: true }) }] : []),
  );
const safeKey = fc
  .string({ maxLength: 12 })
  .filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k) && !k.includes('\u0000'));
// Within the default time limits (ENTRY_MAX_AGE 30d, ENTRY_MAX_FUTURE 1h) with a margin for the suite's run time.
const SUITE_START_MS = Date.now();
const DAY_MS = 86_400_000;
const timestampOk = fc.oneof(
  fc.integer({ min: SUITE_START_MS - 29 * DAY_MS, max: SUITE_START_MS + 30 * 60_000 }),
  fc
    .date({
      min: new Date(SUITE_START_MS - 29 * DAY_MS),
      max: new Date(SUITE_START_MS + 30 * 60_000),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
);
/** Well-formed times outside the limits: refused by name (ENTRY_MAX_AGE, ENTRY_MAX_FUTURE). */
const timestampOutOfLimits = [
  0,
  '2026-01-01T00:00:00Z',
  SUITE_START_MS - 40 * DAY_MS,
  SUITE_START_MS + 5 * 3_600_000,
];

/** Entry-shaped objects whose validity is known from the README's table, not from the code under test. */
const modelEntry = fc
  .record({
    level: field(fc.constantFrom(...LEVELS), fc.constantFrom('INFO', 'loud', '', 5, null, ['info']), false),
    service: field(
      fc.string({ minLength: 1, maxLength: 128 }),
      fc.constantFrom('', 's'.repeat(129), 42, null),
      false,
    ),
    message: field(
      fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }),
      fc.constantFrom('', 'a\u0000b', 'x\ud800y', 7, null),
      false,
    ),
    timestamp: field(
      timestampOk,
      fc.constantFrom(-1, 1e20, 1.5, 'yesterday', '2026-11-26T10:00:00', true, null, ...timestampOutOfLimits),
      true,
    ),
    attributes: field(
      fc.dictionary(safeKey, fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.boolean()), {
        maxKeys: 5,
      }),
      fc.constantFrom([], 'x', 5, null, nest(9)),
      true,
    ),
    trace_id: field(fc.stringMatching(/^[0-9a-f]{32}$/), fc.constantFrom('xyz', 123, '0'.repeat(31)), true),
    extra: field(fc.constant(undefined), fc.constantFrom(1, 'x', null), true),
  })
  .map((fields) => {
    const value: Record<string, unknown> = {};
    for (const [name, f] of Object.entries(fields)) if (f.value !== undefined) value[name] = f.value;
    return { value, ok: Object.values(fields).every((f) => f.ok) };
  });

/** Issue 10: malformed Elasticsearch bulk bodies get a whole-request 4xx in Elasticsearch's error shape. */
const ES_BULK = '/elasticsearch/_bulk';
const ELASTICSEARCH_CORPUS: [
  name: string,
  headers: Record<string, string>,
  body: string | Buffer,
  status: number,
][] = [
  [
    'an action without its source',
    NDJSON_TYPE,
    '{"create":{"_index":"a"}}\n{"message":"x"}\n{"create":{"_index":"a"}}\n',
    400,
  ],
  ['an action line that is not JSON', NDJSON_TYPE, '{"create":{"_index":"a"}\n{"message":"x"}\n', 400],
  ['an unknown action', NDJSON_TYPE, '{"upsert":{"_index":"a"}}\n{"message":"x"}\n', 400],
  ['an _index of the wrong type', NDJSON_TYPE, '{"index":{"_index":{"a":1}}}\n{"message":"x"}\n', 400],
  [
    'an unknown action parameter',
    NDJSON_TYPE,
    '{"index":{"_index":"a","colour":"red"}}\n{"message":"x"}\n',
    400,
  ],
  ['no index anywhere', NDJSON_TYPE, '{"index":{}}\n{"message":"x"}\n', 400],
  ['a JSON array instead of NDJSON', JSON_TYPE, json([{ index: { _index: 'a' } }, { message: 'x' }]), 400],
  ['an empty body', NDJSON_TYPE, '', 400],
  ['invalid UTF-8', NDJSON_TYPE, Buffer.from([0x7b, 0x7d, 0x0a, 0xff, 0xfe, 0x0a]), 400],
  [
    'corrupt gzip',
    { ...NDJSON_TYPE, 'content-encoding': 'gzip' },
    gzipSync('{"index":{"_index":"a"}}\n{}\n').subarray(0, 15),
    400,
  ],
  ['text/plain', { 'content-type': 'text/plain' }, '{"index":{"_index":"a"}}\n{"message":"x"}\n', 415],
  [
    'compatible-with=9',
    { 'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=9' },
    '{"index":{"_index":"a"}}\n{}\n',
    415,
  ],
  [
    'more documents than MAX_BATCH_ENTRIES',
    NDJSON_TYPE,
    '{"create":{"_index":"a"}}\n{"message":"x"}\n'.repeat(MAX_BATCH_ENTRIES + 1),
    413,
  ],
];

/** Protobuf, by hand: a field's key, and a length-delimited field (enough for the shapes below). */
const varint = (value: number): number[] => {
  const out: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  return [...out, rest];
};
const pbField = (number: number, bytes: Buffer | string): Buffer => {
  const payload = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return Buffer.concat([Buffer.from([(number << 3) | 2, ...varint(payload.length)]), payload]);
};

/** One OTLP ExportLogsServiceRequest: resource_logs{scope_logs{log_records{body{string_value}}}}. */
const otlpRequest = (message: string): Buffer =>
  pbField(1, pbField(2, pbField(2, pbField(5, pbField(1, message)))));
const OTLP_LOGS = '/v1/logs';
const PROTOBUF_TYPE = { 'content-type': 'application/x-protobuf' };
const otlpJson = (records: unknown[]) => json({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] });

/** Issue 10: malformed OTLP/HTTP bodies get a 4xx (a google.rpc.Status encoded like the request). */
const OTLP_CORPUS: [name: string, headers: Record<string, string>, body: string | Buffer, status: number][] =
  [
    ['truncated protobuf', PROTOBUF_TYPE, otlpRequest('a log line').subarray(0, 9), 400],
    ['a protobuf length running past the end', PROTOBUF_TYPE, Buffer.from([0x0a, 0x7f, 0x12, 0x00]), 400],
    ['resourceLogs of the wrong type (JSON)', JSON_TYPE, json({ resourceLogs: 'x' }), 400],
    [
      'a timestamp of the wrong type (JSON)',
      JSON_TYPE,
      otlpJson([{ timeUnixNano: {}, body: { stringValue: 'x' } }]),
      400,
    ],
    ['broken JSON', JSON_TYPE, '{"resourceLogs":[', 400],
    ['text/plain', { 'content-type': 'text/plain' }, 'a log line', 415],
    [
      'corrupt gzip',
      { ...PROTOBUF_TYPE, 'content-encoding': 'gzip' },
      gzipSync(otlpRequest('x')).subarray(0, 12),
      400,
    ],
    [
      'more records than MAX_BATCH_ENTRIES',
      JSON_TYPE,
      otlpJson(Array.from({ length: MAX_BATCH_ENTRIES + 1 }, () => ({ body: { stringValue: 'x' } }))),
      413,
    ],
  ];

/** One Loki PushRequest stream (labels string, entries of timestamp + line), snappy-compressed. */
const lokiEntry = (line: string) =>
  pbField(2, Buffer.concat([pbField(1, Buffer.from([0x08, ...varint(1764151200)])), pbField(2, line)]));
const lokiStream = (labels: string, lines: string[]) =>
  pbField(1, Buffer.concat([pbField(1, labels), ...lines.map(lokiEntry)]));
const lokiPush = (labels: string, lines: string[]) => snappyCompress(lokiStream(labels, lines));
const LOKI_PUSH = '/loki/api/v1/push';
const manyLabels = `{${Array.from({ length: 20 }, (_, i) => `l${i}="v"`).join(', ')}}`;

/** Issue 10: malformed Loki pushes get a 400 naming the problem (text, as Loki answers), nothing queued. */
const LOKI_CORPUS: [name: string, headers: Record<string, string>, body: string | Buffer, status: number][] =
  [
    ['bytes that are not snappy', PROTOBUF_TYPE, Buffer.from('definitely not snappy at all'), 400],
    [
      'truncated protobuf inside valid snappy',
      PROTOBUF_TYPE,
      snappyCompress(lokiStream('{job="a"}', ['x']).subarray(0, 7)),
      400,
    ],
    ['an unterminated label string', PROTOBUF_TYPE, lokiPush('{job="a"', ['x']), 400],
    ['a label set over the limit', PROTOBUF_TYPE, lokiPush(manyLabels, ['x']), 400],
    [
      'one bad stream among good ones',
      PROTOBUF_TYPE,
      snappyCompress(Buffer.concat([lokiStream('{job="a"}', ['x']), lokiStream('{}', ['y'])])),
      400,
    ],
    [
      'a JSON timestamp that is a number',
      JSON_TYPE,
      json({ streams: [{ stream: { job: 'a' }, values: [[1, 'x']] }] }),
      400,
    ],
    [
      'JSON values of the wrong shape',
      JSON_TYPE,
      json({ streams: [{ stream: { job: 'a' }, values: 'x' }] }),
      400,
    ],
    ['broken JSON', JSON_TYPE, '{"streams":[', 400],
    ['text/plain', { 'content-type': 'text/plain' }, 'x', 415],
  ];

describe('bad input over HTTP', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `fault:${suffix}:input-stream`;
  const deadKey = `fault:${suffix}:input-dead`;
  const schema = new TestSchema(TEST_DATABASE_URL);
  const redis = new Redis(TEST_REDIS_URL);
  const probe = new StreamProbe(redis, streamKey, deadKey);
  const processes = new ProcessRegistry();
  let ingest: ServiceProcess;
  let worker: ServiceProcess;
  /** Entries the property tests got a 2xx for: exactly those may reach Redis and PostgreSQL. */
  let acceptedByFuzz = 0;

  // A body over MAX_BODY_BYTES is refused from its Content-Length before it is read, and written whole
  // all the same: ingest reads it on and drops it, so the client reads the 413 (http/lingering-close.ts).
  const send = (path: string, headers: Record<string, string>, body: string | Buffer) =>
    rawPost(ingest.url, path, headers, body);
  const expectCleanRefusal = (answer: RawAnswer) => {
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.json).toMatchObject({
      statusCode: answer.status,
      error: expect.any(String),
      message: expect.any(String),
    });
    expect((answer.json?.['message'] as string).length).toBeGreaterThan(0);
  };
  const countAccepted = (answer: RawAnswer, path: string) => {
    if (is2xx(answer.status)) acceptedByFuzz += path === '/api/log' ? 1 : Number(answer.json?.['count']);
  };

  beforeAll(async () => {
    await schema.create();
    [ingest, worker] = await Promise.all([
      processes.startIngest('ingest-input', {
        REDIS_URL: TEST_REDIS_URL,
        STREAM_KEY: streamKey,
        MAX_BODY_BYTES: String(MAX_BODY_BYTES),
        MAX_BATCH_ENTRIES: String(MAX_BATCH_ENTRIES),
      }),
      processes.startWorker(
        `worker-input-${suffix}`,
        suiteWorkerEnv({ schema: schema.schema, streamKey, deadKey }),
      ),
    ]);
  });

  afterAll(async () => {
    closeRawAgent();
    await processes.stopAll();
    await probe.delete();
    redis.disconnect();
    await schema.drop();
  });

  it.each(CORPUS)(
    'refuses %s (POST %s) with a JSON 4xx and queues nothing',
    async (_name, path, headers, body, status) => {
      const added = await probe.entriesAdded();
      const answer = await send(path, headers, body);
      expectCleanRefusal(answer);
      expect(answer.status).toBe(status);
      expect(await probe.entriesAdded()).toBe(added);
      expect(ingest.isRunning).toBe(true);
    },
  );

  it('after the whole corpus: nothing reached Redis or PostgreSQL, ingest never logged a 5xx, and it still stores a valid entry', async () => {
    expect(await probe.entriesAdded()).toBe(0);
    const { rows } = await schema.pool.query('SELECT count(*)::int AS n FROM logs');
    expect(rows[0].n).toBe(0);
    expect(ingest.logs()).not.toContain('internal error');
    expect(ingest.logs()).not.toMatch(/"level":"(error|fatal)"/);
    const answer = await send('/api/log', JSON_TYPE, entry({ service: `after-corpus-${suffix}` }));
    expect(answer.status).toBe(202);
    await waitFor(
      'the valid entry stored',
      async () => (await schema.count(`after-corpus-${suffix}`)) === 1,
      15000,
    );
    acceptedByFuzz = 1;
  });

  it('property: entries built from the README rules get 202 exactly when every field is valid, else a JSON 400', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(modelEntry, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (entries, asBatch) => {
          const path = asBatch ? '/api/logs' : '/api/log';
          const body = asBatch ? json(entries.map((e) => e.value)) : json(entries[0].value);
          const answer = await send(path, JSON_TYPE, body);
          const ok = asBatch ? entries.every((e) => e.ok) : entries[0].ok;
          if (ok) {
            expect(answer.status).toBe(202);
            if (asBatch) expect(answer.json?.['count']).toBe(entries.length);
          } else {
            expect(answer.status).toBe(400);
            expectCleanRefusal(answer);
          }
          countAccepted(answer, path);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: any JSON value, optionally gzipped, to either route is never a 5xx, and a 2xx only for entry-shaped objects', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 4 }),
        fc.constantFrom('/api/log', '/api/logs'),
        fc.boolean(),
        async (value, path, gzip) => {
          const text = JSON.stringify(value) ?? 'null';
          const headers: Record<string, string> = gzip
            ? { ...JSON_TYPE, 'content-encoding': 'gzip' }
            : JSON_TYPE;
          const answer = await send(path, headers, gzip ? gzipSync(text) : text);
          if (is2xx(answer.status)) {
            const entries = path === '/api/log' ? [value] : (value as unknown[]);
            for (const e of entries)
              expect(e).toMatchObject({
                level: expect.any(String),
                service: expect.any(String),
                message: expect.any(String),
              });
          } else {
            expectCleanRefusal(answer);
          }
          countAccepted(answer, path);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: random bytes with random content types and encodings are never a 5xx and never accepted unless they are JSON', async () => {
    const headerValue = fc.string({ maxLength: 40 }).filter((v) => /^[\x20-\x7e]*$/.test(v));
    const contentType = fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/x-ndjson',
        'application/ndjson',
        'text/plain',
        'application/json; charset=utf-8',
        'application/octet-stream',
      ),
      headerValue,
    );
    const encoding = fc.oneof(
      fc.constantFrom(undefined, 'gzip', 'identity', 'x-gzip', 'br', 'GZIP'),
      headerValue,
    );
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }),
      fc.string({ maxLength: 300, unit: 'binary' }).map((s) => Buffer.from(s, 'utf8')),
    );
    await fc.assert(
      fc.asyncProperty(
        payload,
        contentType,
        encoding,
        fc.constantFrom('/api/log', '/api/logs'),
        async (bytes, type, contentEncoding, path) => {
          const headers: Record<string, string> = {};
          if (type !== '') headers['content-type'] = type;
          if (contentEncoding !== undefined) headers['content-encoding'] = contentEncoding;
          const answer = await send(path, headers, Buffer.from(bytes));
          if (is2xx(answer.status)) {
            expect(() => JSON.parse(Buffer.from(bytes).toString('utf8').split('\n')[0])).not.toThrow();
          } else {
            expectCleanRefusal(answer);
          }
          countAccepted(answer, path);
        },
      ),
      { numRuns: 400 },
    );
  });

  const expectElasticsearchRefusal = (answer: RawAnswer, status: number) => {
    expect(answer.status).toBe(status);
    expect(answer.headers['x-elastic-product']).toBe('Elasticsearch');
    expect(answer.json).toMatchObject({
      status,
      error: { type: expect.any(String), reason: expect.any(String), root_cause: expect.any(Array) },
    });
  };

  it.each(ELASTICSEARCH_CORPUS)(
    'Elasticsearch bulk: refuses %s with a 4xx in its error shape and queues nothing',
    async (_name, headers, body, status) => {
      const added = await probe.entriesAdded();
      expectElasticsearchRefusal(await send(ES_BULK, headers, body), status);
      expect(await probe.entriesAdded()).toBe(added);
      expect(ingest.isRunning).toBe(true);
    },
  );

  it('property: Elasticsearch bulk bodies of random lines are never a 5xx, and exactly the items answered 201 are queued', async () => {
    const actionLine = fc
      .record({
        action: fc.constantFrom('create', 'index', 'delete', 'update', 'upsert'),
        index: fc.constantFrom('fuzz-es', '', undefined),
        id: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
      })
      .map(({ action, index, id }) => json({ [action]: { _index: index, _id: id } }));
    const sourceLine = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((value) => json(value) ?? 'null'),
      fc
        .record({
          message: fc.string({ maxLength: 30 }),
          level: fc.constantFrom('info', 'warning', 30, 'loud'),
        })
        .map(json),
      fc.string({ maxLength: 40 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(actionLine, sourceLine), { maxLength: 12 }),
        fc.boolean(),
        async (lines, gzip) => {
          const text = lines.join('\n') + '\n';
          const headers: Record<string, string> = gzip
            ? { ...NDJSON_TYPE, 'content-encoding': 'gzip' }
            : NDJSON_TYPE;
          const added = await probe.entriesAdded();
          const answer = await send(ES_BULK, headers, gzip ? gzipSync(text) : text);
          expect(answer.status).toBeLessThan(500);
          if (answer.status === 200) {
            const items = answer.json?.['items'] as Record<string, { status: number }>[];
            const created = items.filter((item) => Object.values(item)[0].status === 201).length;
            expect(await probe.entriesAdded()).toBe(added + created);
            acceptedByFuzz += created;
          } else {
            expectElasticsearchRefusal(answer, answer.status);
            expect(await probe.entriesAdded()).toBe(added);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each(OTLP_CORPUS)(
    'OTLP/HTTP: refuses %s with a 4xx and queues nothing',
    async (_name, headers, body, status) => {
      const added = await probe.entriesAdded();
      const answer = await send(OTLP_LOGS, headers, body);
      expect(answer.status).toBe(status);
      expect(await probe.entriesAdded()).toBe(added);
      expect(ingest.isRunning).toBe(true);
    },
  );

  it.each(LOKI_CORPUS)(
    'Loki push: refuses %s with a 4xx in words and queues nothing',
    async (_name, headers, body, status) => {
      const added = await probe.entriesAdded();
      const answer = await send(LOKI_PUSH, headers, body);
      expect(answer.status).toBe(status);
      expect(answer.text.trim().length).toBeGreaterThan(0);
      expect(await probe.entriesAdded()).toBe(added);
      expect(ingest.isRunning).toBe(true);
    },
  );

  it('property: random bytes to the OTLP and Loki endpoints are never a 5xx; whatever a 2xx queued is counted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(OTLP_LOGS, LOKI_PUSH),
        fc.constantFrom('application/x-protobuf', 'application/json'),
        fc.boolean(),
        async (bytes, path, type, snappy) => {
          const body = snappy && path === LOKI_PUSH ? snappyCompress(Buffer.from(bytes)) : Buffer.from(bytes);
          const added = await probe.entriesAdded();
          const answer = await send(path, { 'content-type': type }, body);
          expect(answer.status).toBeLessThan(500);
          const queued = (await probe.entriesAdded()) - added;
          if (answer.status >= 400) expect(queued).toBe(0);
          acceptedByFuzz += queued;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('after the properties: ingest is alive and exactly the accepted entries reached Redis and PostgreSQL', async () => {
    expect(ingest.isRunning).toBe(true);
    expect(worker.isRunning).toBe(true);
    expect((await send('/api/log', JSON_TYPE, entry({ service: `final-${suffix}` }))).status).toBe(202);
    acceptedByFuzz += 1;
    expect(await probe.entriesAdded()).toBe(acceptedByFuzz);
    await waitFor('every accepted entry stored', async () => (await probe.drained()) || null, 20000);
    const { rows } = await schema.pool.query('SELECT count(*)::int AS n FROM logs');
    expect(rows[0].n).toBe(acceptedByFuzz);
    expect(await probe.deadLetters()).toEqual([]);
    printLine(
      `FUZZ http-layer: accepted=${acceptedByFuzz} stored=${rows[0].n} corpus=${CORPUS.length + ELASTICSEARCH_CORPUS.length + OTLP_CORPUS.length + LOKI_CORPUS.length}`,
    );
  });
});
