import {
  MAX_ATTRIBUTES_BYTES,
  MAX_ATTRIBUTES_DEPTH,
  MAX_MESSAGE_BYTES,
  MAX_SERVICE_LENGTH,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
} from './log-entry.limits';
import { LogEntryFieldError } from './log-entry.types';
import { validateLogBatch, validateLogEntries, validateLogEntry } from './log-entry.validation';

const RECEIVED_AT = Date.UTC(2026, 10, 26, 10, 0, 0, 500);

function base(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { level: 'info', service: 'checkout', message: 'order placed', ...overrides };
}

function accepted(input: unknown) {
  const result = validateLogEntry(input, RECEIVED_AT);
  if (!result.ok) {
    throw new Error(`expected the entry to be accepted, got ${JSON.stringify(result.errors)}`);
  }
  return result.entry;
}

function rejected(input: unknown): LogEntryFieldError[] {
  const result = validateLogEntry(input, RECEIVED_AT);
  if (result.ok) {
    throw new Error('expected the entry to be rejected');
  }
  return result.errors;
}

/** The entry is rejected with exactly one error, on `field`, whose message contains `text`. */
function expectRejectedOn(input: unknown, field: string, text: string): void {
  const errors = rejected(input);
  expect(errors).toHaveLength(1);
  expect(errors[0].field).toBe(field);
  expect(errors[0].message).toContain(text);
}

/** An attributes object whose JSON serialisation is exactly `bytes` UTF-8 bytes. */
function attributesOfBytes(bytes: number, filler = 'a'): Record<string, unknown> {
  const overhead = JSON.stringify({ k: '' }).length;
  const fillerBytes = Buffer.byteLength(filler);
  const room = bytes - overhead;
  const ascii = room % fillerBytes;
  const value = filler.repeat((room - ascii) / fillerBytes) + 'a'.repeat(ascii);
  const attributes = { k: value };
  expect(Buffer.byteLength(JSON.stringify(attributes))).toBe(bytes);
  return attributes;
}

/** An attributes object nested `depth` levels deep (objects and arrays alternating), itself level 1. */
function nested(depth: number): Record<string, unknown> {
  let value: unknown = { leaf: true };
  for (let level = depth - 1; level >= 1; level--) {
    value = level % 2 === 1 ? { child: value } : [value];
  }
  return value as Record<string, unknown>;
}

describe('validateLogEntry', () => {
  describe('a minimal entry', () => {
    it('is normalised with defaults: receipt time as timestamp and nulls for absent optionals', () => {
      expect(accepted(base())).toEqual({
        timestamp: RECEIVED_AT,
        receivedAt: RECEIVED_AT,
        level: 'info',
        service: 'checkout',
        message: 'order placed',
        attributes: null,
        traceId: null,
        spanId: null,
        eventId: null,
        tenant: 'default',
      });
    });

    it('keeps every optional field, lower-casing trace and span ids', () => {
      const entry = accepted(
        base({
          timestamp: '2026-11-26T10:00:00.123Z',
          attributes: { user: { id: 7 }, tags: ['a', 'b'] },
          trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736',
          span_id: '00F067AA0BA902B7',
          id: 'evt-1:retry.2_x',
        }),
      );
      expect(entry).toEqual({
        timestamp: Date.UTC(2026, 10, 26, 10, 0, 0, 123),
        receivedAt: RECEIVED_AT,
        level: 'info',
        service: 'checkout',
        message: 'order placed',
        attributes: { user: { id: 7 }, tags: ['a', 'b'] },
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        eventId: 'evt-1:retry.2_x',
        tenant: 'default',
      });
    });
  });

  describe('root', () => {
    it.each([
      ['an array', [base()], 'array'],
      ['a string', 'info', 'string'],
      ['null', null, 'null'],
      ['a number', 42, 'number'],
      ['a boolean', true, 'boolean'],
      ['undefined', undefined, 'undefined'],
    ])('refuses %s with field (root)', (_name, input, kind) => {
      expectRejectedOn(input, '(root)', `log entry must be a JSON object (got ${kind})`);
    });

    it('refuses an object that is not plain (a class instance)', () => {
      expectRejectedOn(new Date(0), '(root)', 'must be a JSON object');
    });

    it('accepts an object without a prototype, as some JSON parsers produce', () => {
      expect(accepted(Object.assign(Object.create(null), base())).service).toBe('checkout');
    });

    it('names an unknown field', () => {
      expect(rejected(base({ colour: 'red' }))).toEqual([
        { field: 'colour', message: 'unknown field "colour"' },
      ]);
    });

    it('reports every unknown field and the invalid known fields together, one error per field', () => {
      const errors = rejected({ colour: 'red', size: 1, level: 'loud', service: 'checkout', message: '' });
      expect(errors.map((e) => e.field).sort()).toEqual(['colour', 'level', 'message', 'size']);
    });

    it.each(['__proto__', 'constructor', 'prototype'])(
      'refuses a top-level %s key as an unknown field without disturbing validation of the rest',
      (key) => {
        const input = JSON.parse(
          `{"${key}": {"polluted": true}, "level": "loud", "service": "s", "message": "m"}`,
        );
        expect(rejected(input)).toEqual([
          { field: key, message: `unknown field "${key}"` },
          { field: 'level', message: 'level must be one of: trace, debug, info, warn, error, fatal' },
        ]);
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      },
    );
  });

  describe('level', () => {
    it.each(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])('accepts %s', (level) => {
      expect(accepted(base({ level })).level).toBe(level);
    });

    it.each(['INFO', 'Info', 'warning', '', 3, {}])('refuses %p', (level) => {
      expectRejectedOn(
        base({ level }),
        'level',
        'level must be one of: trace, debug, info, warn, error, fatal',
      );
    });

    it('is required, and null counts as missing', () => {
      expectRejectedOn({ service: 's', message: 'm' }, 'level', 'level is required');
      expectRejectedOn(base({ level: null }), 'level', 'level is required');
    });
  });

  describe('service', () => {
    it(`accepts 1 and ${MAX_SERVICE_LENGTH} characters`, () => {
      expect(accepted(base({ service: 's' })).service).toBe('s');
      expect(accepted(base({ service: 's'.repeat(MAX_SERVICE_LENGTH) })).service).toHaveLength(
        MAX_SERVICE_LENGTH,
      );
    });

    it(`refuses ${MAX_SERVICE_LENGTH + 1} characters and the empty string`, () => {
      expectRejectedOn(
        base({ service: 's'.repeat(MAX_SERVICE_LENGTH + 1) }),
        'service',
        'service must be at most 128 characters long (got 129)',
      );
      expectRejectedOn(base({ service: '' }), 'service', 'service must not be empty');
    });

    it('reports the first failing rule only: type before length before content', () => {
      expectRejectedOn(base({ service: 12 }), 'service', 'service must be a string');
      expectRejectedOn(
        base({ service: 's'.repeat(MAX_SERVICE_LENGTH + 1) + '\u0000' }),
        'service',
        'service must be at most 128 characters long (got 130)',
      );
    });

    it('is required, and null counts as missing', () => {
      expectRejectedOn({ level: 'info', message: 'm' }, 'service', 'service is required');
      expectRejectedOn(base({ service: null }), 'service', 'service is required');
    });

    it('refuses a NUL character and a lone surrogate', () => {
      expectRejectedOn(base({ service: 'a\u0000b' }), 'service', 'service must not contain U+0000');
      expectRejectedOn(base({ service: 'a\ud800b' }), 'service', 'service must be well-formed UTF-16');
      expectRejectedOn(base({ service: '\udc00' }), 'service', 'service must be well-formed UTF-16');
    });

    it('accepts a surrogate pair', () => {
      expect(accepted(base({ service: 'pay-\u{1F4B3}' })).service).toBe('pay-\u{1F4B3}');
    });
  });

  describe('message', () => {
    it(`accepts exactly ${MAX_MESSAGE_BYTES} UTF-8 bytes, ASCII or multi-byte`, () => {
      expect(accepted(base({ message: 'a'.repeat(MAX_MESSAGE_BYTES) })).message).toHaveLength(
        MAX_MESSAGE_BYTES,
      );
      // "é" is 2 bytes and "€" 3 bytes: 32,767 × 2 + 2 × 1 = 65,536; 21,845 × 3 + 1 = 65,536; 16,384 × 4.
      for (const message of [
        'é'.repeat(32_767) + 'ab',
        '€'.repeat(21_845) + 'a',
        '\u{1F600}'.repeat(16_384),
      ]) {
        expect(Buffer.byteLength(message)).toBe(MAX_MESSAGE_BYTES);
        expect(accepted(base({ message })).message).toBe(message);
      }
    });

    it(`refuses ${MAX_MESSAGE_BYTES + 1} bytes and reports the size`, () => {
      expectRejectedOn(
        base({ message: 'a'.repeat(MAX_MESSAGE_BYTES + 1) }),
        'message',
        'message must be at most 65536 bytes of UTF-8 (got 65537)',
      );
      // Fewer UTF-16 code units than the limit, but more bytes.
      const message = '€'.repeat(21_845) + 'ab';
      expect(message.length).toBeLessThan(MAX_MESSAGE_BYTES);
      expectRejectedOn(
        base({ message }),
        'message',
        'message must be at most 65536 bytes of UTF-8 (got 65537)',
      );
      expectRejectedOn(base({ message: 'x'.repeat(70_000) }), 'message', '(got 70000)');
    });

    it('refuses the empty string, a non-string, and absence', () => {
      expectRejectedOn(base({ message: '' }), 'message', 'message must not be empty');
      expectRejectedOn(base({ message: { text: 'hi' } }), 'message', 'message must be a string');
      expectRejectedOn(
        base({ message: ['a'.repeat(MAX_MESSAGE_BYTES + 1)] }),
        'message',
        'message must be a string',
      );
      expectRejectedOn({ level: 'info', service: 's' }, 'message', 'message is required');
    });

    it('refuses a NUL character and a lone surrogate', () => {
      expectRejectedOn(
        base({ message: 'before\u0000after' }),
        'message',
        'message must not contain U+0000 (NUL)',
      );
      expectRejectedOn(base({ message: 'end\ud83d' }), 'message', 'message must be well-formed UTF-16');
    });
  });

  describe('timestamp', () => {
    it('accepts ISO-8601 with Z or an offset, converting to epoch milliseconds', () => {
      expect(accepted(base({ timestamp: '2026-11-26T10:00:00.123Z' })).timestamp).toBe(
        Date.UTC(2026, 10, 26, 10, 0, 0, 123),
      );
      expect(accepted(base({ timestamp: '2026-11-26T10:00:00+02:00' })).timestamp).toBe(
        Date.UTC(2026, 10, 26, 8),
      );
      expect(accepted(base({ timestamp: '2026-11-26T10:00:00-05:30' })).timestamp).toBe(
        Date.UTC(2026, 10, 26, 15, 30),
      );
      expect(accepted(base({ timestamp: '2024-02-29T00:00:00Z' })).timestamp).toBe(Date.UTC(2024, 1, 29));
    });

    it('truncates sub-millisecond digits rather than rounding', () => {
      expect(accepted(base({ timestamp: '2026-11-26T10:00:00.123999999Z' })).timestamp).toBe(
        Date.UTC(2026, 10, 26, 10, 0, 0, 123),
      );
      expect(accepted(base({ timestamp: '2026-11-26T10:00:00.5Z' })).timestamp).toBe(
        Date.UTC(2026, 10, 26, 10, 0, 0, 500),
      );
    });

    it('accepts integer epoch milliseconds', () => {
      expect(accepted(base({ timestamp: 1_764_151_200_123 })).timestamp).toBe(1_764_151_200_123);
    });

    it(`accepts the bounds ${MIN_TIMESTAMP_MS} and ${MAX_TIMESTAMP_MS}, as numbers and as ISO strings`, () => {
      expect(accepted(base({ timestamp: MIN_TIMESTAMP_MS })).timestamp).toBe(0);
      expect(accepted(base({ timestamp: MAX_TIMESTAMP_MS })).timestamp).toBe(MAX_TIMESTAMP_MS);
      expect(accepted(base({ timestamp: '1970-01-01T00:00:00.000Z' })).timestamp).toBe(0);
      expect(accepted(base({ timestamp: '9999-12-31T23:59:59.999Z' })).timestamp).toBe(MAX_TIMESTAMP_MS);
      expect(accepted(base({ timestamp: '1969-12-31T23:00:00-01:00' })).timestamp).toBe(0);
    });

    it.each([
      ['-1', -1],
      ['MAX + 1', MAX_TIMESTAMP_MS + 1],
      ['a huge number', 1e300],
      ['an ISO instant before 1970', '1969-12-31T23:59:59.999Z'],
      ['an offset that pushes 1970 below zero', '1970-01-01T00:30:00+01:00'],
      ['an offset that pushes past year 9999', '9999-12-31T23:59:59.999-00:01'],
      ['a two-digit year that Date.UTC would read as 1970', '0070-01-01T00:00:00Z'],
    ])('refuses %s as out of range', (_name, timestamp) => {
      expectRejectedOn(
        base({ timestamp }),
        'timestamp',
        'timestamp must be between 1970-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z',
      );
    });

    it.each([
      ['a date-time without offset', '2026-11-26T10:00:00'],
      ['a date-time without offset, with fraction', '2026-11-26T10:00:00.123'],
      ['a date only', '2026-11-26'],
      ['an offset without colon', '2026-11-26T10:00:00+0200'],
      ['a space instead of T', '2026-11-26 10:00:00Z'],
      ['February 30', '2026-02-30T00:00:00Z'],
      ['February 29 of a common year', '2026-02-29T00:00:00Z'],
      ['month 13', '2026-13-01T00:00:00Z'],
      ['hour 24', '2026-11-26T24:00:00Z'],
      ['a leap second', '2026-12-31T23:59:60Z'],
      ['offset minutes 60', '2026-11-26T10:00:00+01:60'],
      ['ten fraction digits', '2026-11-26T10:00:00.1234567890Z'],
      ['a numeric string', '1764151200123'],
      ['a fractional number', 1.5],
      ['NaN', Number.NaN],
      ['null', null],
      ['an object', { seconds: 1 }],
    ])('refuses %s as malformed', (_name, timestamp) => {
      expectRejectedOn(
        base({ timestamp }),
        'timestamp',
        'timestamp must be an ISO-8601 date-time with a timezone',
      );
    });
  });

  describe('attributes', () => {
    it('accepts nested JSON values of every kind', () => {
      const attributes = { s: 'x', n: -1.5, b: false, z: null, a: [1, 'two', { three: 3 }], o: {} };
      expect(accepted(base({ attributes })).attributes).toEqual(attributes);
    });

    it.each([
      ['an array', [1, 2], 'array'],
      ['null', null, 'null'],
      ['a string', '{"a":1}', 'string'],
      ['a number', 1, 'number'],
    ])('refuses %s', (_name, attributes, kind) => {
      expectRejectedOn(base({ attributes }), 'attributes', `attributes must be a JSON object (got ${kind})`);
    });

    it(`accepts exactly ${MAX_ATTRIBUTES_BYTES} serialised bytes and refuses one more, counting UTF-8 bytes`, () => {
      expect(
        accepted(base({ attributes: attributesOfBytes(MAX_ATTRIBUTES_BYTES) })).attributes,
      ).not.toBeNull();
      expect(
        accepted(base({ attributes: attributesOfBytes(MAX_ATTRIBUTES_BYTES, '€') })).attributes,
      ).not.toBeNull();
      expectRejectedOn(
        base({ attributes: attributesOfBytes(MAX_ATTRIBUTES_BYTES + 1) }),
        'attributes',
        'attributes must be at most 16384 bytes when JSON-serialised (got 16385)',
      );
      expectRejectedOn(
        base({ attributes: attributesOfBytes(MAX_ATTRIBUTES_BYTES + 1, '€') }),
        'attributes',
        '(got 16385)',
      );
    });

    it('counts JSON escapes: control characters that serialise to \\uXXXX can pass the limit', () => {
      // 3,000 code units, 18,000 bytes serialised: under the limit by length, over it as JSON.
      const escaped = { s: '\u0001'.repeat(3000) };
      expectRejectedOn(base({ attributes: escaped }), 'attributes', '(got 18008)');
      expect(accepted(base({ attributes: { s: '\u0001'.repeat(2000) } })).attributes).not.toBeNull();
    });

    it('counts the longest numbers JSON prints (25 characters) against the limit', () => {
      const longest = -0.0000012345678901234567;
      expect(JSON.stringify(longest)).toHaveLength(25);
      // 653 of them: 16,985 bytes serialised.
      expectRejectedOn(base({ attributes: { a: Array(653).fill(longest) } }), 'attributes', '(got 16985)');
      expect(accepted(base({ attributes: { a: Array(600).fill(longest) } })).attributes).not.toBeNull();
    });

    it('refuses a huge attributes object early, without its exact size', () => {
      const attributes = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]));
      expectRejectedOn(
        base({ attributes }),
        'attributes',
        'attributes must be at most 16384 bytes when JSON-serialised (got more than 16384)',
      );
    });

    it(`accepts depth ${MAX_ATTRIBUTES_DEPTH} and refuses depth ${MAX_ATTRIBUTES_DEPTH + 1}`, () => {
      expect(accepted(base({ attributes: nested(MAX_ATTRIBUTES_DEPTH) })).attributes).toEqual(
        nested(MAX_ATTRIBUTES_DEPTH),
      );
      expectRejectedOn(
        base({ attributes: nested(MAX_ATTRIBUTES_DEPTH + 1) }),
        'attributes',
        'attributes must not nest objects/arrays more than 8 levels deep',
      );
    });

    it('refuses pathological nesting cheaply instead of overflowing the stack', () => {
      const attributes = JSON.parse(`{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`);
      expectRejectedOn(base({ attributes }), 'attributes', 'more than 8 levels deep');
    });

    it('refuses a cyclic value as too deep', () => {
      const attributes: Record<string, unknown> = {};
      attributes['self'] = attributes;
      expectRejectedOn(base({ attributes }), 'attributes', 'more than 8 levels deep');
    });

    it.each(['__proto__', 'constructor', 'prototype'])(
      'refuses the key %s at any depth, naming it',
      (key) => {
        expectRejectedOn(
          base({ attributes: JSON.parse(`{"${key}": {}}`) }),
          'attributes',
          `attributes must not use the key "${key}" (at attributes)`,
        );
        expectRejectedOn(
          base({ attributes: JSON.parse(`{"a": [{"b": {"${key}": 1}}]}`) }),
          'attributes',
          `attributes must not use the key "${key}" (at attributes.a[0].b)`,
        );
      },
    );

    it('refuses NUL and lone surrogates in string values and in keys, naming where', () => {
      expectRejectedOn(
        base({ attributes: { a: { b: 'x\u0000' } } }),
        'attributes',
        'attributes strings must not contain U+0000 (NUL) (at attributes.a.b)',
      );
      expectRejectedOn(
        base({ attributes: { list: ['ok', '\udfff'] } }),
        'attributes',
        'attributes strings must be well-formed UTF-16 (it contains a lone surrogate) (at attributes.list[1])',
      );
      expectRejectedOn(
        base({ attributes: { 'bad\u0000key': 1 } }),
        'attributes',
        'attributes keys must not contain U+0000 (NUL) (in a key of attributes)',
      );
      expectRejectedOn(
        base({ attributes: { nested: { '\ud800': 1 } } }),
        'attributes',
        'attributes keys must be well-formed UTF-16',
      );
    });

    it('refuses values JSON cannot carry', () => {
      expectRejectedOn(base({ attributes: { n: Number.NaN } }), 'attributes', 'found NaN at attributes.n');
      expectRejectedOn(base({ attributes: { n: Infinity } }), 'attributes', 'found Infinity at attributes.n');
      expectRejectedOn(
        base({ attributes: { u: undefined } }),
        'attributes',
        'found undefined at attributes.u',
      );
      expectRejectedOn(base({ attributes: { f: () => 1 } }), 'attributes', 'found function at attributes.f');
      expectRejectedOn(
        base({ attributes: { 'odd key': new Date(0) } }),
        'attributes',
        'found a non-plain object at attributes["odd key"]',
      );
      const holes = [1, 2, 3];
      delete holes[1];
      expectRejectedOn(
        base({ attributes: { holes } }),
        'attributes',
        'found undefined at attributes.holes[1]',
      );
    });
  });

  describe('trace_id, span_id and id', () => {
    it('accepts a trace_id of exactly 32 hex characters and refuses 31, 33 and non-hex', () => {
      expect(accepted(base({ trace_id: 'a'.repeat(32) })).traceId).toBe('a'.repeat(32));
      for (const trace_id of ['a'.repeat(31), 'a'.repeat(33), 'g'.repeat(32), 123, null]) {
        expectRejectedOn(
          base({ trace_id }),
          'trace_id',
          'trace_id must be exactly 32 hexadecimal characters',
        );
      }
    });

    it('accepts a span_id of exactly 16 hex characters and refuses 15, 17 and non-hex', () => {
      expect(accepted(base({ span_id: 'ABCDEF0123456789' })).spanId).toBe('abcdef0123456789');
      for (const span_id of ['a'.repeat(15), 'a'.repeat(17), 'z'.repeat(16)]) {
        expectRejectedOn(base({ span_id }), 'span_id', 'span_id must be exactly 16 hexadecimal characters');
      }
    });

    it('accepts an id of 1 and 128 allowed characters and refuses 0, 129 and other characters', () => {
      expect(accepted(base({ id: 'a' })).eventId).toBe('a');
      expect(accepted(base({ id: 'A1._:-'.repeat(21) + 'ab' })).eventId).toHaveLength(128);
      for (const id of ['', 'a'.repeat(129), 'has space', 'slash/', 'nul\u0000', 'é', 7]) {
        expectRejectedOn(
          base({ id }),
          'id',
          'id must be 1-128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"',
        );
      }
    });
  });

  it('refuses a receivedAtMs that is not integer epoch milliseconds (a caller bug)', () => {
    expect(() => validateLogEntry(base(), 1.5)).toThrow(RangeError);
    expect(() => validateLogEntry(base(), -1)).toThrow(RangeError);
  });
});

describe('validateLogEntries', () => {
  it('keeps the valid entries and reports each refused input by index, as validateLogEntry would', () => {
    const inputs = [base(), base({ level: 'loud' }), 'text', base({ message: 'second' })];
    const result = validateLogEntries(inputs, { receivedAtMs: RECEIVED_AT, tenant: 'acme' });
    expect(result.entries.map((entry) => [entry.message, entry.tenant, entry.receivedAt])).toEqual([
      ['order placed', 'acme', RECEIVED_AT],
      ['second', 'acme', RECEIVED_AT],
    ]);
    expect(result.rejected).toEqual([
      { index: 1, errors: (validateLogEntry(inputs[1], RECEIVED_AT) as { errors: unknown }).errors },
      { index: 2, errors: (validateLogEntry(inputs[2], RECEIVED_AT) as { errors: unknown }).errors },
    ]);
  });

  it('checks the receipt time and tenant once, and throws for a bad one as validateLogEntry does', () => {
    expect(() => validateLogEntries([], { receivedAtMs: RECEIVED_AT, tenant: 'Not A Tenant!' })).toThrow(
      RangeError,
    );
    expect(validateLogEntries([], RECEIVED_AT)).toEqual({ entries: [], rejected: [] });
  });
});

describe('validateLogBatch', () => {
  it('normalises every entry of a valid batch, in order, with the same receipt time', () => {
    const result = validateLogBatch(
      [base({ message: 'one' }), base({ message: 'two', timestamp: 5 })],
      RECEIVED_AT,
    );
    expect(result).toEqual({
      ok: true,
      entries: [
        expect.objectContaining({ message: 'one', timestamp: RECEIVED_AT, receivedAt: RECEIVED_AT }),
        expect.objectContaining({ message: 'two', timestamp: 5, receivedAt: RECEIVED_AT }),
      ],
    });
  });

  it('gives every entry of a batch the tenant of the submission', () => {
    const result = validateLogBatch([base(), base()], { receivedAtMs: RECEIVED_AT, tenant: 'acme-prod' });
    expect(result.ok && result.entries.map((entry) => entry.tenant)).toEqual(['acme-prod', 'acme-prod']);
  });

  it('throws on a tenant that is not a tenant name (a caller bug, never client input)', () => {
    expect(() => validateLogBatch([base()], { receivedAtMs: RECEIVED_AT, tenant: '' })).toThrow(RangeError);
    expect(() => validateLogEntry(base(), { receivedAtMs: RECEIVED_AT, tenant: 'a b' })).toThrow(RangeError);
    expect(() => validateLogEntry(base(), { receivedAtMs: RECEIVED_AT, tenant: 't'.repeat(65) })).toThrow(
      RangeError,
    );
  });

  it("accepts an empty batch (whether that is allowed is the caller's call)", () => {
    expect(validateLogBatch([], RECEIVED_AT)).toEqual({ ok: true, entries: [] });
  });

  it('refuses the whole batch when one entry is bad, and the errors carry its index', () => {
    const result = validateLogBatch(
      [base(), base({ level: 'loud' }), base(), 'nope', base({ colour: 1, service: '' })],
      RECEIVED_AT,
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        { index: 1, field: 'level', message: 'level must be one of: trace, debug, info, warn, error, fatal' },
        { index: 3, field: '(root)', message: 'log entry must be a JSON object (got string)' },
        { index: 4, field: 'colour', message: 'unknown field "colour"' },
        { index: 4, field: 'service', message: 'service must not be empty' },
      ],
    });
  });

  it('stops collecting after maxErrors, including in the middle of an entry', () => {
    const bad = Array.from({ length: 500 }, () => ({ colour: 1, size: 2 }));
    const defaulted = validateLogBatch(bad, RECEIVED_AT);
    expect(defaulted.ok).toBe(false);
    expect(!defaulted.ok && defaulted.errors).toHaveLength(100);
    const capped = validateLogBatch(bad, RECEIVED_AT, 3);
    expect(!capped.ok && capped.errors.map((e) => [e.index, e.field])).toEqual([
      [0, 'colour'],
      [0, 'size'],
      [0, 'level'],
    ]);
  });

  it('throws on caller bugs: a maxErrors that is not a positive integer, or inputs that are not an array', () => {
    expect(() => validateLogBatch([], RECEIVED_AT, 0)).toThrow(RangeError);
    expect(() => validateLogBatch({ length: 1, 0: base() } as unknown as unknown[], RECEIVED_AT)).toThrow(
      TypeError,
    );
  });
});
