import { LokiPushError } from './loki-push.error';
import { decodeJsonPush } from './push-json.decoder';

function body(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
}

function refusal(value: unknown): LokiPushError {
  try {
    decodeJsonPush(body(value));
  } catch (error) {
    expect(error).toBeInstanceOf(LokiPushError);
    return error as LokiPushError;
  }
  throw new Error('expected the push to be refused');
}

describe('decodeJsonPush', () => {
  it("reads the example of Loki's push API documentation", () => {
    const raw =
      '{"streams": [{ "stream": { "foo": "bar2" }, "values": [ [ "1570818238000000000", "fizzbuzz" ] ] }]}';
    expect(decodeJsonPush(body(raw))).toEqual({
      streams: [
        {
          labels: [['foo', 'bar2']],
          name: '{foo="bar2"}',
          entries: [{ epochMs: 1_570_818_238_000, line: 'fizzbuzz', metadata: undefined }],
        },
      ],
    });
  });

  it("reads structured metadata, the documentation's third value", () => {
    const raw = {
      streams: [
        {
          stream: { job: 'test' },
          values: [
            ['1700000000123456789', 'log line', { trace_id: '0242ac120002', user_id: 'superUser123' }],
          ],
        },
      ],
    };
    expect(decodeJsonPush(body(raw)).streams[0].entries).toEqual([
      {
        epochMs: 1_700_000_000_123,
        line: 'log line',
        metadata: [
          ['trace_id', '0242ac120002'],
          ['user_id', 'superUser123'],
        ],
      },
    ]);
  });

  it('keeps nanosecond timestamps to the millisecond, cutting (not rounding) the rest', () => {
    const raw = {
      streams: [
        {
          stream: { a: 'b' },
          values: [
            ['1700000000999999999', 'x'],
            ['999999', 'y'],
            ['0', 'z'],
            ['9223372036854775807', 'max int64'],
          ],
        },
      ],
    };
    expect(decodeJsonPush(body(raw)).streams[0].entries.map((e) => e.epochMs)).toEqual([
      1_700_000_000_999, 0, 0, 9_223_372_036_854,
    ]);
  });

  it('accepts an empty push and streams without values', () => {
    expect(decodeJsonPush(body({ streams: [] }))).toEqual({ streams: [] });
    expect(
      decodeJsonPush(body({ streams: [{ stream: { a: 'b' }, values: [] }] })).streams[0].entries,
    ).toEqual([]);
  });

  it('drops labels with an empty value, as Loki does', () => {
    expect(
      decodeJsonPush(body({ streams: [{ stream: { a: 'b', empty: '' }, values: [] }] })).streams[0].labels,
    ).toEqual([['a', 'b']]);
  });

  it.each([
    ['not JSON', '{"streams": [', "couldn't parse push request: "],
    ['an array', '[]', 'the body must be a JSON object (got array)'],
    ['no streams', { stream: {} }, '"streams" must be an array (got undefined)'],
    ['a stream that is no object', { streams: ['x'] }, 'streams[0] must be an object'],
    [
      'labels that are no object',
      { streams: [{ stream: 'job=x', values: [] }] },
      'streams[0]: "stream" must be an object',
    ],
    [
      'a label value of the wrong type',
      { streams: [{ stream: { n: 1 }, values: [] }] },
      'label "n" must have a string value (got number)',
    ],
    [
      'no labels',
      { streams: [{ stream: {}, values: [] }] },
      'at least one label pair is required per stream',
    ],
    [
      'a bad label name',
      { streams: [{ stream: { 'a.b': 'x' }, values: [] }] },
      "has invalid label name: 'a.b'",
    ],
    [
      'values that are no array',
      { streams: [{ stream: { a: 'b' }, values: {} }] },
      `stream '{a="b"}': "values" must be an array`,
    ],
    [
      'a numeric timestamp',
      { streams: [{ stream: { a: 'b' }, values: [[1700000000000000000, 'x']] }] },
      'values[0]: timestamp must be a string of Unix epoch nanoseconds (got number)',
    ],
    [
      'an RFC 3339 timestamp',
      { streams: [{ stream: { a: 'b' }, values: [['2024-01-01T00:00:00Z', 'x']] }] },
      'a non-negative int64 (got "2024-01-01T00:00:00Z")',
    ],
    [
      'a negative timestamp',
      { streams: [{ stream: { a: 'b' }, values: [['-1', 'x']] }] },
      'non-negative int64',
    ],
    [
      'a timestamp past int64',
      { streams: [{ stream: { a: 'b' }, values: [['9223372036854775808', 'x']] }] },
      'non-negative int64',
    ],
    [
      'a line that is no string',
      { streams: [{ stream: { a: 'b' }, values: [['1', { msg: 'x' }]] }] },
      'log line must be a string (got object)',
    ],
    ['a one-item value', { streams: [{ stream: { a: 'b' }, values: [['1']] }] }, 'got an array of 1'],
    [
      'metadata of the wrong type',
      { streams: [{ stream: { a: 'b' }, values: [['1', 'x', ['k', 'v']]] }] },
      'structured metadata must be an object',
    ],
    [
      'a metadata value that is no string',
      { streams: [{ stream: { a: 'b' }, values: [['1', 'x', { n: 5 }]] }] },
      'structured metadata "n" must have a string value (got number)',
    ],
  ])('refuses %s with a 400 naming the problem', (_case, value, problem) => {
    const error = refusal(value);
    expect(error.status).toBe(400);
    expect(error.message).toContain(problem);
  });

  it('refuses a body that is not UTF-8', () => {
    expect(() => decodeJsonPush(Buffer.from([0x7b, 0xff, 0x7d]))).toThrow('not valid UTF-8');
  });

  it('names every bad stream by its labels, and refuses the push as a whole', () => {
    const error = refusal({
      streams: [
        { stream: { job: 'good' }, values: [['1', 'fine']] },
        { stream: { job: 'bad1' }, values: [[1, 'x']] },
        { stream: { job: 'bad2' }, values: [['1', 2]] },
      ],
    });
    expect(error.message.split('\n')).toEqual([
      `stream '{job="bad1"}': values[0]: timestamp must be a string of Unix epoch nanoseconds (got number)`,
      `stream '{job="bad2"}': values[0]: log line must be a string (got number)`,
    ]);
  });

  it('applies the label limits Loki applies, naming them', () => {
    const labels = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`l${i}`, 'v']));
    expect(refusal({ streams: [{ stream: labels, values: [] }] }).message).toMatch(
      /has 16 label names; limit 15$/,
    );
    expect(refusal({ streams: [{ stream: { a: 'v'.repeat(2049) }, values: [] }] }).message).toContain(
      'has label value too long',
    );
    expect(refusal({ streams: [{ stream: { ['n'.repeat(1025)]: 'v' }, values: [] }] }).message).toContain(
      'has label name too long',
    );
    const metadata = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`m${i}`, 'v']));
    expect(refusal({ streams: [{ stream: { a: 'b' }, values: [['1', 'x', metadata]] }] }).message).toContain(
      "too many structured metadata labels: '129', limit: '128'",
    );
  });

  it('lists at most ten problems and says how many more there were', () => {
    const streams = Array.from({ length: 25 }, (_, i) => ({ stream: { i: String(i) }, values: [[1, 'x']] }));
    const lines = refusal({ streams }).message.split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[10]).toBe('(and 15 more problems)');
  });
});
