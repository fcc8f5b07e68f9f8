import { validateLogEntry } from '@logpipe/log-schema';
import { BulkRequestError } from './bulk-errors';
import { decodeBulkRequest } from './bulk-request';

const ndjson = (...lines: unknown[]): Buffer =>
  Buffer.from(
    lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n',
  );

function refusal(body: Buffer, options = {}): BulkRequestError {
  try {
    decodeBulkRequest(body, options);
  } catch (error) {
    if (error instanceof BulkRequestError) return error;
    throw error;
  }
  throw new Error('expected the whole request to be refused');
}

describe('decodeBulkRequest', () => {
  it('reads the example of the Elasticsearch bulk API reference (index, delete, create, update)', () => {
    const body = Buffer.from(
      [
        '{ "index" : { "_index" : "test", "_id" : "1" } }',
        '{ "field1" : "value1" }',
        '{ "delete" : { "_index" : "test", "_id" : "2" } }',
        '{ "create" : { "_index" : "test", "_id" : "3" } }',
        '{ "field1" : "value3" }',
        '{ "update" : {"_id" : "1", "_index" : "test"} }',
        '{ "doc" : {"field2" : "value2"} }',
        '',
      ].join('\n'),
    );
    const { items, entries } = decodeBulkRequest(body);
    expect(items.map(({ action, index, id }) => [action, index, id])).toEqual([
      ['index', 'test', '1'],
      ['delete', 'test', '2'],
      ['create', 'test', '3'],
      ['update', 'test', '1'],
    ]);
    // delete and update change stored documents: refused per item, the others stored.
    expect(items.map((item) => item.error?.type)).toEqual([
      undefined,
      'illegal_argument_exception',
      undefined,
      'illegal_argument_exception',
    ]);
    expect(items[1].error?.reason).toContain('[delete] action is not supported');
    expect(entries).toEqual([
      {
        id: '1',
        level: 'info',
        service: 'test',
        message: '{ "field1" : "value1" }',
        attributes: { field1: 'value1' },
      },
      {
        id: '3',
        level: 'info',
        service: 'test',
        message: '{ "field1" : "value3" }',
        attributes: { field1: 'value3' },
      },
    ]);
  });

  it('reads the index from the URL when the action names none (POST /{index}/_bulk), the action winning', () => {
    const { items } = decodeBulkRequest(
      ndjson({ index: {} }, { message: 'a' }, { create: { _index: 'other' } }, { message: 'b' }),
      { urlIndex: 'movies' },
    );
    expect(items.map((item) => [item.index, item.entry?.service])).toEqual([
      ['movies', 'movies'],
      ['other', 'other'],
    ]);
  });

  it('accepts CRLF line ends, blank lines and a body without its final newline', () => {
    const body = Buffer.from(
      '{"create":{"_index":"app"}}\r\n\r\n{"message":"one"}\r\n{"create":{"_index":"app"}}\n{"message":"two"}',
    );
    expect(decodeBulkRequest(body).entries.map((entry) => entry.message)).toEqual(['one', 'two']);
  });

  it('reads the lines as trimmed text, whether the body is all ASCII or not, repeated action lines included', () => {
    const lines = [
      '{"create":{"_index":"app"}}',
      '{"message":"one"}',
      '{"create":{"_index":"app"}}\r',
      '  {"message":"two"}\t',
      '{"create":{"_index":"app"}} ',
      '{"message":"three"}\r',
      '\t{"create":{"_index":"app"}}',
      '{"message":"four"}',
      '{"create":{"_index":"app"}}\r\r',
      '{"message":"five"}',
      '{"create":{"_index":"app","_id":"x"}}',
      '{"message":"six"}',
      '{"create":{"_index":"app"}}',
      '{"message":"seven", "bad": }',
    ];
    const ascii = decodeBulkRequest(Buffer.from(lines.join('\n')));
    expect(ascii.entries.map((entry) => [entry.message, entry.id])).toEqual([
      ['one', undefined],
      ['two', undefined],
      ['three', undefined],
      ['four', undefined],
      ['five', undefined],
      ['six', 'x'],
    ]);
    expect(ascii.items[6].error?.reason).toMatch(/^\[14\] failed to parse/);
    // A body with non-ASCII characters is read as UTF-8 rather than a byte per character: same items.
    // (U+00A0 is whitespace to trim() too.)
    const nonAscii = lines.map((line, i) => (i === 6 ? `\u00a0${line.trim()}` : line));
    nonAscii.push('{"create":{"_index":"ünï"}}', '{"message":"€"}');
    const utf8 = decodeBulkRequest(Buffer.from(nonAscii.join('\n')));
    expect(utf8.items.slice(0, 7)).toEqual(ascii.items);
    expect(utf8.entries.at(-1)).toEqual({ level: 'info', service: 'ünï', message: '€' });
  });

  it('reads a numeric _id as its text, as Elasticsearch does', () => {
    const { items } = decodeBulkRequest(ndjson({ index: { _index: 'a', _id: 42 } }, { message: 'x' }));
    expect(items[0].id).toBe('42');
    expect(items[0].entry?.id).toBe('42');
  });

  it("treats pino-elasticsearch's {index: {op_type: 'create'}} as a create and accepts Elasticsearch 7's _type", () => {
    const { items } = decodeBulkRequest(
      ndjson(
        { index: { _index: 'pino', op_type: 'create', _type: '_doc', pipeline: null } },
        { msg: 'hello' },
      ),
    );
    expect(items[0].action).toBe('create');
    expect(items[0].entry?.message).toBe('hello');
  });

  it('maps an _id the event-id rule refuses to a stable sha256: id and keeps the original as attribute _id', () => {
    const first = decodeBulkRequest(ndjson({ index: { _index: 'a', _id: 'user/42 #1' } }, { message: 'x' }));
    const again = decodeBulkRequest(ndjson({ index: { _index: 'a', _id: 'user/42 #1' } }, { message: 'y' }));
    expect(first.items[0].id).toBe('user/42 #1');
    expect(first.entries[0].id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(again.entries[0].id).toBe(first.entries[0].id);
    expect(first.entries[0].attributes).toEqual({ _id: 'user/42 #1' });
  });

  it('refuses per item an empty _id and one longer than Elasticsearch allows (512 bytes)', () => {
    const { items, entries } = decodeBulkRequest(
      ndjson(
        { index: { _index: 'a', _id: '' } },
        { message: 'x' },
        { index: { _index: 'a', _id: 'é'.repeat(300) } },
        { message: 'y' },
        { index: { _index: 'a' } },
        { message: 'z' },
      ),
    );
    expect(items[0].error?.reason).toBe('if _id is specified it must not be empty');
    expect(items[1].error?.reason).toMatch(/too long, must be no longer than 512 bytes but was: 600$/);
    expect(entries.map((entry) => entry.message)).toEqual(['z']);
  });

  it('refuses per item a source that is not a JSON object or not JSON, naming its line', () => {
    const { items, entries } = decodeBulkRequest(
      ndjson(
        { index: { _index: 'a' } },
        '[1,2]',
        { index: { _index: 'a' } },
        '{"message": ',
        { index: { _index: 'a' } },
        { message: 'ok' },
      ),
    );
    expect(items[0].error).toEqual({
      type: 'document_parsing_exception',
      reason: '[2] failed to parse: the source must be a JSON object, found [START_ARRAY]',
    });
    expect(items[1].error?.type).toBe('document_parsing_exception');
    expect(items[1].error?.reason).toMatch(/^\[4\] failed to parse: /);
    expect(entries).toHaveLength(1);
  });

  it('refuses per item a source with a __proto__ key (prototype pollution)', () => {
    const { items } = decodeBulkRequest(
      ndjson({ index: { _index: 'a' } }, '{"__proto__": {"x": 1}, "message": "m"}'),
    );
    expect(items[0].error?.type).toBe('document_parsing_exception');
    expect(items[0].entry).toBeUndefined();
  });

  it('refuses per item __proto__ and constructor.prototype keys however written, and only the items with one', () => {
    const { items } = decodeBulkRequest(
      ndjson(
        { index: { _index: 'a' } },
        '{"\\u005f_proto__": {"x": 1}, "message": "escaped"}',
        { index: { _index: 'a' } },
        '{"constructor": {"prototype": {"x": 1}}, "message": "constructor"}',
        { index: { _index: 'a' } },
        '{"constructor": "a plain field", "message": "kept"}',
        { index: { _index: 'a' } },
        { message: 'clean' },
      ),
    );
    expect(items.map((item) => item.error?.reason ?? item.entry?.message)).toEqual([
      '[2] failed to parse: Object contains forbidden prototype property',
      '[4] failed to parse: Object contains forbidden prototype property',
      'kept',
      'clean',
    ]);
  });

  it('stores documents whose keys only resemble the prototype keys, and still refuses a real one beside them', () => {
    const lookalikes = { message: 'lookalike', _protocol: 'h2', destructor: true };
    const alone = decodeBulkRequest(ndjson({ index: { _index: 'a' } }, lookalikes));
    expect(alone.items[0].error).toBeUndefined();
    expect(alone.entries[0].attributes).toEqual({ _protocol: 'h2', destructor: true });

    const mixed = decodeBulkRequest(
      ndjson(
        { index: { _index: 'a' } },
        lookalikes,
        { index: { _index: 'a' } },
        '{"__proto__": {"x": 1}, "message": "m"}',
      ),
    );
    expect(mixed.items.map((item) => item.error?.type ?? item.entry?.message)).toEqual([
      'lookalike',
      'document_parsing_exception',
    ]);
  });

  it('uses the _msg_field list, as VictoriaLogs does, and the defaults when it is empty', () => {
    const body = ndjson({ index: { _index: 'a' } }, { message: 'default', event: { original: 'raw line' } });
    expect(decodeBulkRequest(body, { messageField: 'missing, event.original' }).entries[0].message).toBe(
      'raw line',
    );
    expect(decodeBulkRequest(body, { messageField: ' , ' }).entries[0].message).toBe('default');
  });

  it('yields entries that pass the shared log entry rules, ts to the millisecond', () => {
    const { entries } = decodeBulkRequest(
      ndjson(
        { create: { _index: 'logs-app-default', _id: 'evt-1' } },
        {
          '@timestamp': '2026-11-26T10:00:00.123456Z',
          log: { level: 'warning' },
          service: { name: 'checkout', version: '1.2.0' },
          message: 'payment slow',
          'http.request.method': 'POST',
        },
      ),
    );
    const validation = validateLogEntry(entries[0], { receivedAtMs: 1, tenant: 'acme' });
    expect(validation).toEqual({
      ok: true,
      entry: {
        timestamp: Date.UTC(2026, 10, 26, 10, 0, 0, 123),
        receivedAt: 1,
        level: 'warn',
        service: 'checkout',
        message: 'payment slow',
        attributes: { service: { version: '1.2.0' }, 'http.request.method': 'POST' },
        traceId: null,
        spanId: null,
        eventId: 'evt-1',
        tenant: 'acme',
      },
    });
  });

  describe('refuses the whole request (400), naming the line', () => {
    it.each([
      [
        'an action line that is not JSON',
        '{"index": {"_index": "a"}\n{"message":"x"}\n',
        'x_content_parse_exception',
        /^Malformed action\/metadata line \[1\], not valid JSON/,
      ],
      [
        'an action line that is an array',
        '[{"index":{}}]\n{"message":"x"}\n',
        'illegal_argument_exception',
        /line \[1\], expected START_OBJECT but found \[START_ARRAY\]/,
      ],
      [
        'an unknown action',
        '{"upsert":{"_index":"a"}}\n{"message":"x"}\n',
        'illegal_argument_exception',
        /line \[1\], expected field \[create\], \[delete\], \[index\] or \[update\] but found \[upsert\]/,
      ],
      [
        'two actions on one line',
        '{"index":{},"create":{}}\n{}\n',
        'illegal_argument_exception',
        /line \[1\], expected one action but found \[2\]/,
      ],
      ['an empty action object', '{}\n{}\n', 'illegal_argument_exception', /line \[1\], expected FIELD_NAME/],
      [
        'metadata that is not an object',
        '{"index":"a"}\n{}\n',
        'illegal_argument_exception',
        /line \[1\], expected START_OBJECT but found \[VALUE_STRING\]/,
      ],
      [
        'an _index of the wrong type',
        '{"index":{"_index":{"name":"a"}}}\n{}\n',
        'illegal_argument_exception',
        /line \[1\], expected a simple value for field \[_index\] but found \[START_OBJECT\]/,
      ],
      [
        'an unknown parameter',
        '{"index":{"_index":"a","colour":"red"}}\n{}\n',
        'illegal_argument_exception',
        /^Action\/metadata line \[1\] contains an unknown parameter \[colour\]$/,
      ],
      [
        'an action without its source (last line)',
        '{"index":{"_index":"a"}}\n{"message":"x"}\n\n{"create":{"_index":"a"}}\n',
        'illegal_argument_exception',
        /line \[4\], the \[create\] action is the last line/,
      ],
      [
        'a second action line in a source position followed by nothing',
        '{"index":{"_index":"a"}}\n{"index":{"_index":"a"}}\n{"index":{"_index":"a"}}\n',
        'illegal_argument_exception',
        /line \[3\]/,
      ],
      ['no actions at all', '\n \n', 'action_request_validation_exception', /no requests added/],
    ])('%s', (_name, body, type, reason) => {
      const error = refusal(Buffer.from(body));
      expect(error.status).toBe(400);
      expect(error.type).toBe(type);
      expect(error.reason).toMatch(reason);
    });

    it('an item without an index (neither in the action nor in the URL), listing the lines', () => {
      const error = refusal(ndjson({ index: { _index: 'a' } }, {}, { index: {} }, {}, { create: {} }, {}));
      expect(error.type).toBe('action_request_validation_exception');
      expect(error.reason).toContain('index is missing (action line [3], [5])');
    });

    it('a body that is not UTF-8, naming the first bad line', () => {
      const body = Buffer.concat([
        ndjson({ index: { _index: 'a' } }),
        Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d, 0x0a]),
      ]);
      const error = refusal(body);
      expect(error.reason).toBe('line [2] is not valid UTF-8; the bulk body must be UTF-8 NDJSON');
    });
  });

  it('reads a body that starts with a UTF-8 byte-order mark (the first line is trimmed of it)', () => {
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      ndjson({ create: { _index: 'a' } }, { message: 'm' }),
    ]);
    expect(decodeBulkRequest(body).entries).toEqual([{ level: 'info', service: 'a', message: 'm' }]);
  });
});
