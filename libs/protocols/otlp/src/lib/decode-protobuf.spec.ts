// The one-pass protobuf decoder against protobufjs' reflected encoder: any request written by protobufjs
// from the opentelemetry-proto messages decodes to what the OTLP/JSON decoder reads from the same request
// in OTLP/JSON.
import fc from 'fast-check';
import { Writer } from 'protobufjs';
import { decodeExportLogsRequest } from './decode-request';
import { OtlpDecodeError } from './otlp-decode-error';
import { ExportLogsServiceRequestType } from './otlp-proto';
import { readString } from './short-strings';
import { Reader } from 'protobufjs';

jest.setTimeout(60_000);

interface Pair {
  json: unknown;
  pb: unknown;
}

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const key = fc.oneof(fc.constantFrom('service.name', 'http.method', 'user_id', 'otel', 'k'), text);

const { anyValue } = fc.letrec<{ anyValue: Pair; keyValue: Pair }>((tie) => ({
  anyValue: fc.oneof(
    { depthSize: 'small' },
    text.map((v) => ({ json: { stringValue: v }, pb: { stringValue: v } })),
    fc.boolean().map((v) => ({ json: { boolValue: v }, pb: { boolValue: v } })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({
      json: { intValue: v.toString() },
      pb: { intValue: v.toString() },
    })),
    // -0 as 0: the JSON side of the comparison is written by JSON.stringify, which writes -0 as 0 (and
    // a stored entry's attributes go through JSON.stringify too, so both decoders' -0 is stored as 0).
    fc
      .double({ noNaN: true })
      .map((v) => (Object.is(v, -0) ? 0 : v))
      .map((v) => ({
        json: { doubleValue: Number.isFinite(v) ? v : String(v) },
        pb: { doubleValue: v },
      })),
    fc.uint8Array({ maxLength: 12 }).map((v) => ({
      json: { bytesValue: Buffer.from(v).toString('base64') },
      pb: { bytesValue: Buffer.from(v) },
    })),
    fc.array(tie('anyValue') as fc.Arbitrary<Pair>, { maxLength: 3 }).map((values) => ({
      json: { arrayValue: { values: values.map((v) => v.json) } },
      pb: { arrayValue: { values: values.map((v) => v.pb) } },
    })),
    fc.array(tie('keyValue') as fc.Arbitrary<Pair>, { maxLength: 3 }).map((values) => ({
      json: { kvlistValue: { values: values.map((v) => v.json) } },
      pb: { kvlistValue: { values: values.map((v) => v.pb) } },
    })),
    fc.constant({ json: {}, pb: {} }),
  ),
  keyValue: fc
    .tuple(key, tie('anyValue') as fc.Arbitrary<Pair>)
    .map(([k, v]) => ({ json: { key: k, value: v.json }, pb: { key: k, value: v.pb } })),
}));

const keyValues = fc.array(
  fc.tuple(key, anyValue).map(([k, v]) => ({ json: { key: k, value: v.json }, pb: { key: k, value: v.pb } })),
  { maxLength: 4 },
);
const nanos = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const id = (bytes: number) =>
  fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: bytes, maxLength: bytes }));

const logRecord = fc
  .record({
    time: nanos,
    observed: nanos,
    severityNumber: fc.integer({ min: 0, max: 30 }),
    severityText: text,
    body: fc.option(anyValue, { nil: undefined }),
    attributes: keyValues,
    dropped: fc.nat(),
    flags: fc.nat({ max: 2 ** 32 - 1 }),
    traceId: id(16),
    spanId: id(8),
    eventName: text,
  })
  .map((r): Pair => {
    const common = {
      severityNumber: r.severityNumber,
      severityText: r.severityText,
      droppedAttributesCount: r.dropped,
      flags: r.flags,
      eventName: r.eventName,
    };
    return {
      json: {
        ...common,
        timeUnixNano: r.time.toString(),
        observedTimeUnixNano: r.observed.toString(),
        body: r.body?.json,
        attributes: r.attributes.map((a) => a.json),
        traceId: Buffer.from(r.traceId).toString('hex'),
        spanId: Buffer.from(r.spanId).toString('hex'),
      },
      pb: {
        ...common,
        timeUnixNano: r.time.toString(),
        observedTimeUnixNano: r.observed.toString(),
        body: r.body?.pb,
        attributes: r.attributes.map((a) => a.pb),
        traceId: Buffer.from(r.traceId),
        spanId: Buffer.from(r.spanId),
      },
    };
  });

const request = fc
  .array(
    fc.record({
      resource: keyValues,
      scopes: fc.array(
        fc.record({
          name: text,
          version: text,
          attributes: keyValues,
          records: fc.array(logRecord, { maxLength: 3 }),
        }),
        {
          maxLength: 2,
        },
      ),
    }),
    { maxLength: 2 },
  )
  .map((resources): Pair => {
    const build = (side: 'json' | 'pb') => ({
      resourceLogs: resources.map((r) => ({
        resource: { attributes: r.resource.map((a) => a[side]) },
        scopeLogs: r.scopes.map((s) => ({
          scope: { name: s.name, version: s.version, attributes: s.attributes.map((a) => a[side]) },
          logRecords: s.records.map((l) => l[side]),
        })),
      })),
    });
    return { json: build('json'), pb: build('pb') };
  });

describe('the one-pass protobuf decoder', () => {
  it('reads what protobufjs writes exactly as the JSON decoder reads the same request', () => {
    fc.assert(
      fc.property(request, ({ json, pb }) => {
        const binary = ExportLogsServiceRequestType.encode(
          ExportLogsServiceRequestType.fromObject(pb as object),
        ).finish();
        expect(decodeExportLogsRequest(binary, 'protobuf')).toEqual(
          decodeExportLogsRequest(Buffer.from(JSON.stringify(json)), 'json'),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('reads int64 values on both sides of the short-varint path as the JSON decoder does', () => {
    // Up to 7 varint bytes (below 2^49) are read without protobufjs' Long; from 2^49, and every negative
    // value (10 bytes), through it.
    const values = [0n, 1n, 127n, 128n, 2n ** 49n - 1n, 2n ** 49n, 2n ** 53n + 1n, -1n, -(2n ** 63n)];
    const body = () => ({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: values.map((v) => ({
                attributes: [{ key: 'n', value: { intValue: v.toString() } }],
              })),
            },
          ],
        },
      ],
    });
    const binary = ExportLogsServiceRequestType.encode(
      ExportLogsServiceRequestType.fromObject(body()),
    ).finish();
    const fromProtobuf = decodeExportLogsRequest(binary, 'protobuf');
    expect(fromProtobuf).toEqual(decodeExportLogsRequest(Buffer.from(JSON.stringify(body())), 'json'));
    expect(fromProtobuf.resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.attributes['n'])).toEqual([
      0,
      1,
      127,
      128,
      2 ** 49 - 1,
      2 ** 49,
      '9007199254740993',
      -1,
      '-9223372036854775808',
    ]);
  });

  it('refuses a truncated int64 varint', () => {
    const record = new Writer().uint32((6 << 3) | 2).fork();
    record.uint32((1 << 3) | 2).string('n');
    // AnyValue.int_value with a continuation bit and nothing after it.
    record.uint32((2 << 3) | 2).bytes(Uint8Array.from([(3 << 3) | 0, 0x80]));
    const logRecord = record.ldelim().finish();
    const wrap = (field: number, bytes: Uint8Array) =>
      new Writer()
        .uint32((field << 3) | 2)
        .bytes(bytes)
        .finish();
    const binary = wrap(1, wrap(2, wrap(2, logRecord)));
    expect(() => decodeExportLogsRequest(binary, 'protobuf')).toThrow(
      /^body is not a valid ExportLogsServiceRequest in protobuf: index out of range/,
    );
  });

  it('refuses a known field sent with the wrong wire type', () => {
    // ExportLogsServiceRequest.resource_logs (field 1) as a varint instead of a message.
    const body = new Writer()
      .uint32((1 << 3) | 0)
      .uint32(5)
      .finish();
    expect(() => decodeExportLogsRequest(body, 'protobuf')).toThrow(
      new OtlpDecodeError('ExportLogsServiceRequest.resource_logs has wire type VARINT, expected LEN'),
    );
  });

  it('refuses AnyValues nested past the limit instead of recursing without end', () => {
    // body = array_value { values: array_value { ... } } 100 levels deep, written field by field
    // (protobufjs' own fromObject refuses to build so deep an object).
    const field = (number: number, bytes: Uint8Array) =>
      new Writer()
        .uint32((number << 3) | 2)
        .bytes(bytes)
        .finish();
    let value = field(1, Buffer.from('deep'));
    for (let i = 0; i < 100; i++) value = field(5, field(1, value));
    const binary = field(1, field(2, field(2, field(5, value))));
    expect(() => decodeExportLogsRequest(binary, 'protobuf')).toThrow(/nested more than 64 levels/);
  });
});

describe('readString', () => {
  const read = (value: string) => {
    const bytes = new Writer().string(value).finish();
    return readString(Reader.create(Buffer.from(bytes)));
  };

  it('returns the same text for repeated and for different short strings, and for long ones', () => {
    for (const value of [
      'GET',
      'PUT',
      'GET',
      'héllo',
      'hello',
      '',
      'x'.repeat(33),
      'x'.repeat(33),
      '日本語',
    ]) {
      expect(read(value)).toBe(value);
    }
  });

  it('matches Buffer decoding for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (value) => {
        const bytes = Buffer.from(value, 'utf8');
        expect(read(value)).toBe(bytes.toString('utf8'));
      }),
      { numRuns: 500 },
    );
  });
});
