import { Writer } from 'protobufjs/light';
import { compressSync } from 'snappy';
import { encodePushBody, encodePushProto } from '../test-support/push-encoder';
import { LokiPushError } from './loki-push.error';
import { decodeProtobufPush, snappyUncompressedLength } from './push-protobuf.decoder';

const LIMIT = 5 * 1024 * 1024;

function refusal(body: Uint8Array, limit = LIMIT): LokiPushError {
  try {
    decodeProtobufPush(body, limit);
  } catch (error) {
    expect(error).toBeInstanceOf(LokiPushError);
    return error as LokiPushError;
  }
  throw new Error('expected the push to be refused');
}

describe('decodeProtobufPush', () => {
  it('reads a PushRequest as Promtail sends it (snappy block around the protobuf)', () => {
    const body = encodePushBody([
      {
        labels: '{job="varlogs", filename="/var/log/syslog"}',
        entries: [
          { timestamp: { seconds: 1_700_000_000, nanos: 123_456_789 }, line: 'first' },
          {
            timestamp: { seconds: 1_700_000_001, nanos: 0 },
            line: 'second',
            structuredMetadata: [{ name: 'trace_id', value: '0242ac120002' }],
          },
        ],
        hash: 12345,
      },
    ]);
    expect(decodeProtobufPush(body, LIMIT)).toEqual({
      streams: [
        {
          labels: [
            ['job', 'varlogs'],
            ['filename', '/var/log/syslog'],
          ],
          name: '{job="varlogs", filename="/var/log/syslog"}',
          entries: [
            { epochMs: 1_700_000_000_123, line: 'first', metadata: undefined },
            { epochMs: 1_700_000_001_000, line: 'second', metadata: [['trace_id', '0242ac120002']] },
          ],
        },
      ],
    });
  });

  it('reads fields in any order, skips unknown ones, keeps the last of a repeated singular field', () => {
    // EntryAdapter: line twice (last wins), an unknown varint field 9, `parsed` (4), timestamp last.
    const entry = new Writer()
      .uint32((2 << 3) | 2)
      .string('first value')
      .uint32((9 << 3) | 0)
      .uint64(7)
      .uint32((4 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string('p')
      .ldelim()
      .uint32((2 << 3) | 2)
      .string('héllo ✓')
      .uint32((1 << 3) | 2)
      .fork()
      .uint32((2 << 3) | 0)
      .int32(5_000_000)
      .uint32((1 << 3) | 0)
      .int64(1_700_000_000)
      .ldelim()
      .finish();
    // StreamAdapter: the entry before the labels, and a hash.
    const stream = new Writer()
      .uint32((2 << 3) | 2)
      .bytes(entry)
      .uint32((3 << 3) | 0)
      .uint64(99)
      .uint32((1 << 3) | 2)
      .string('{app="a"}')
      .finish();
    const request = new Writer()
      .uint32((1 << 3) | 2)
      .bytes(stream)
      .finish();
    expect(decodeProtobufPush(compressSync(Buffer.from(request)), LIMIT)).toEqual({
      streams: [
        {
          labels: [['app', 'a']],
          name: '{app="a"}',
          entries: [{ epochMs: 1_700_000_000_005, line: 'héllo ✓', metadata: undefined }],
        },
      ],
    });
  });

  it('refuses a field of the wrong wire type', () => {
    const stream = new Writer()
      .uint32((1 << 3) | 0)
      .uint32(5)
      .finish();
    const request = new Writer()
      .uint32((1 << 3) | 2)
      .bytes(stream)
      .finish();
    expect(refusal(compressSync(Buffer.from(request))).message).toBe(
      "couldn't parse push request: invalid protobuf PushRequest (StreamAdapter.labels has wire type VARINT, expected LEN)",
    );
  });

  it('reads the far ends of the timestamp range and refuses beyond them', () => {
    const body = encodePushBody([
      {
        labels: '{a="b"}',
        entries: [
          { timestamp: { seconds: 0, nanos: 999_999_999 }, line: 'epoch' },
          { timestamp: { seconds: 253_402_300_799, nanos: 0 }, line: 'year 9999' },
        ],
      },
    ]);
    expect(decodeProtobufPush(body, LIMIT).streams[0].entries.map((e) => e.epochMs)).toEqual([
      999, 253_402_300_799_000,
    ]);
    const far = refusal(
      encodePushBody([
        { labels: '{a="b"}', entries: [{ timestamp: { seconds: -1, nanos: 999_999_999 }, line: 'x' }] },
        { labels: '{a="c"}', entries: [{ timestamp: { seconds: 2 ** 62, nanos: 0 }, line: 'x' }] },
      ]),
    );
    expect(far.message.split('\n')).toEqual([
      `stream '{a="b"}': entry 0: timestamp is out of range (1970 to 9999, nanos 0-999999999)`,
      `stream '{a="c"}': entry 0: timestamp is out of range (1970 to 9999, nanos 0-999999999)`,
    ]);
  });

  it('reads an empty push', () => {
    expect(decodeProtobufPush(encodePushBody([]), LIMIT)).toEqual({ streams: [] });
  });

  it('reads the snappy header length', () => {
    expect(snappyUncompressedLength(compressSync(Buffer.alloc(300)))).toBe(300);
    expect(snappyUncompressedLength(Uint8Array.from([0x00]))).toBe(0);
    expect(snappyUncompressedLength(Uint8Array.from([]))).toBeNull();
    expect(snappyUncompressedLength(Uint8Array.from([0x80, 0x80]))).toBeNull();
    expect(snappyUncompressedLength(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBeNull();
  });

  it('refuses with 413, before decompressing, a body whose snappy header announces more than the limit', () => {
    const proto = encodePushProto([
      { labels: '{a="b"}', entries: [{ timestamp: { seconds: 1, nanos: 0 }, line: 'x'.repeat(2000) }] },
    ]);
    const error = refusal(compressSync(Buffer.from(proto)), 1000);
    expect(error.status).toBe(413);
    expect(error.message).toBe(`request body too large: ${proto.length} bytes, limit: 1000 bytes`);
    // A header alone (a few bytes) that announces 4 GiB: refused without trying to allocate it.
    const bomb = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect(refusal(bomb).status).toBe(413);
  });

  it.each([
    ['no body', Buffer.alloc(0), 'not snappy-compressed (bad header)'],
    [
      'an uncompressed protobuf',
      Buffer.from(encodePushProto([{ labels: '{a="b"}', entries: [{ line: 'x'.repeat(200) }] }])),
      "couldn't parse push request",
    ],
    ['snappy cut short', compressSync(Buffer.from('x'.repeat(1000))).subarray(0, 10), 'invalid snappy data'],
    ['JSON sent as protobuf', Buffer.from('{"streams":[]}'), "couldn't parse push request"],
  ])('refuses %s with a 400', (_case, body, problem) => {
    const error = refusal(body);
    expect(error.status).toBe(400);
    expect(error.message).toContain(problem);
  });

  it('refuses a truncated protobuf inside valid snappy', () => {
    const proto = encodePushProto([
      { labels: '{a="b"}', entries: [{ timestamp: { seconds: 1, nanos: 0 }, line: 'hello' }] },
    ]);
    const error = refusal(compressSync(Buffer.from(proto.subarray(0, proto.length - 3))));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^couldn't parse push request: invalid protobuf PushRequest \(/);
  });

  it('refuses a string that is not valid UTF-8 instead of storing replacement characters', () => {
    const proto = Buffer.from(
      encodePushProto([
        { labels: '{a="b"}', entries: [{ timestamp: { seconds: 1, nanos: 0 }, line: 'oXo' }] },
      ]),
    );
    proto[proto.indexOf('oXo') + 1] = 0xff;
    const error = refusal(compressSync(proto));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^couldn't parse push request: invalid protobuf PushRequest \(/);
  });

  it('names the stream of a bad label string, as Loki words it', () => {
    const error = refusal(
      encodePushBody([
        { labels: '{job="ok"}', entries: [] },
        { labels: '{job=unquoted}', entries: [] },
      ]),
    );
    expect(error.message).toBe(
      "Error parsing labels '{job=unquoted}' with error: expected a quoted label value at position 5",
    );
  });

  it('names the label limit for a huge label set', () => {
    const labels = `{${Array.from({ length: 5000 }, (_, i) => `l${i}="${'v'.repeat(20)}"`).join(', ')}}`;
    const error = refusal(encodePushBody([{ labels, entries: [] }]));
    expect(error.message).toMatch(
      /^entry for stream '\{l0="v+", .*…' has more than 15 label names; limit 15$/,
    );
    expect(error.message.length).toBeLessThan(400);
  });

  it.each([
    ['no labels', '{}', 'at least one label pair is required per stream'],
    ['duplicate label names', '{a="1", a="2"}', "has duplicate label name: 'a'"],
    ['a label value over the limit', `{a="${'v'.repeat(2049)}"}`, 'has label value too long'],
  ])('refuses a stream with %s', (_case, labels, problem) => {
    expect(refusal(encodePushBody([{ labels, entries: [] }])).message).toContain(problem);
  });

  it('refuses an entry without a timestamp or with one out of range, naming stream and entry', () => {
    const error = refusal(
      encodePushBody([
        {
          labels: '{job="x"}',
          entries: [
            { timestamp: { seconds: 1, nanos: 0 }, line: 'ok' },
            { line: 'no timestamp' },
            { timestamp: { seconds: -5, nanos: 0 }, line: 'before 1970' },
            { timestamp: { seconds: 1, nanos: 1_000_000_000 }, line: 'bad nanos' },
          ],
        },
      ]),
    );
    expect(error.message.split('\n')).toEqual([
      `stream '{job="x"}': entry 1: has no timestamp`,
      `stream '{job="x"}': entry 2: timestamp is out of range (1970 to 9999, nanos 0-999999999)`,
      `stream '{job="x"}': entry 3: timestamp is out of range (1970 to 9999, nanos 0-999999999)`,
    ]);
  });
});
