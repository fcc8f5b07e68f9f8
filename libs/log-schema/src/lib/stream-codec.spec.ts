import { LogEntry } from './log-entry.types';
import { validateLogEntry } from './log-entry.validation';
import {
  type DecodedSlot,
  LOG_CHUNK_CODEC_VERSION,
  LOG_ENTRY_CODEC_VERSION,
  LOG_SUBMITTED_CHUNK_CODEC_VERSION,
  LogEntryDecodeError,
  chunkEntryId,
  decodeLogEntry,
  decodeStreamValue,
  encodeChunkEntry,
  encodeLogChunk,
  encodeLogChunkOfEncoded,
  encodeLogEntry,
  submittedChunkOpening,
} from './stream-codec';

const FULL: LogEntry = {
  timestamp: 1_764_151_200_123,
  receivedAt: 1_764_151_200_500,
  level: 'error',
  service: 'checkout',
  message: 'payment declined: "insufficient funds" \u20ac \u{1F4B3}\n\tat line 2',
  attributes: { user: { id: 7, tags: ['vip', null, true, 1.25] }, empty: {} },
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  eventId: 'evt-1:retry.2_x',
  tenant: 'acme.prod_1-eu',
};

const MINIMAL: LogEntry = {
  timestamp: 0,
  receivedAt: 0,
  level: 'trace',
  service: 's',
  message: 'm',
  attributes: null,
  traceId: null,
  spanId: null,
  eventId: null,
  tenant: 'default',
};

/** The encoded array of FULL with element `index` replaced. */
function encodedWith(index: number, value: unknown): string {
  const array = JSON.parse(encodeLogEntry(FULL)) as unknown[];
  array[index] = value;
  return JSON.stringify(array);
}

function decodeFailure(raw: string | null | undefined): LogEntryDecodeError {
  try {
    decodeLogEntry(raw);
  } catch (error) {
    if (error instanceof LogEntryDecodeError) return error;
    throw error;
  }
  throw new Error('expected decodeLogEntry to throw');
}

describe('stream codec', () => {
  it('round-trips a full and a minimal entry unchanged', () => {
    expect(decodeLogEntry(encodeLogEntry(FULL))).toEqual(FULL);
    expect(decodeLogEntry(encodeLogEntry(MINIMAL))).toEqual(MINIMAL);
  });

  it('round-trips what validation produces', () => {
    const result = validateLogEntry(
      {
        level: 'warn',
        service: 'api',
        message: 'slow',
        timestamp: '2026-11-26T10:00:00+02:00',
        trace_id: 'A'.repeat(32),
      },
      1_764_151_200_500,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(decodeLogEntry(encodeLogEntry(result.entry))).toEqual(result.entry);
  });

  it('writes a compact positional array led by the codec version', () => {
    expect(JSON.parse(encodeLogEntry(MINIMAL))).toEqual([
      LOG_ENTRY_CODEC_VERSION,
      0,
      0,
      'trace',
      's',
      'm',
      null,
      null,
      null,
      null,
      'default',
    ]);
    expect(LOG_ENTRY_CODEC_VERSION).toBe(2);
  });

  it('still decodes version 1 (written before tenants existed) as the default tenant', () => {
    const v1 = JSON.stringify([
      1,
      FULL.timestamp,
      FULL.receivedAt,
      'error',
      'checkout',
      'm',
      null,
      null,
      null,
      'e-1',
    ]);
    expect(decodeLogEntry(v1)).toEqual({
      timestamp: FULL.timestamp,
      receivedAt: FULL.receivedAt,
      level: 'error',
      service: 'checkout',
      message: 'm',
      attributes: null,
      traceId: null,
      spanId: null,
      eventId: 'e-1',
      tenant: 'default',
    });
  });

  it('is an Error subclass whose reason is also in its message', () => {
    const error = decodeFailure('nope');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('LogEntryDecodeError');
    expect(error.reason).toBe('not valid JSON');
    expect(error.message).toBe('cannot decode log entry: not valid JSON');
  });

  it.each([
    ['null', null, 'expected a string, got null'],
    ['undefined', undefined, 'expected a string, got undefined'],
    ['not JSON', '[1, 2', 'not valid JSON'],
    ['an empty string', '', 'not valid JSON'],
    ['a JSON object', '{"v":1}', 'expected a JSON array'],
    [
      'another version',
      JSON.stringify([3, 0, 0, 'info', 's', 'm', null, null, null, null, 'default']),
      'unsupported codec version 3 (expected 1 or 2)',
    ],
    [
      'a version as string',
      JSON.stringify(['2', 0, 0, 'info', 's', 'm', null, null, null, null, 'default']),
      'unsupported codec version "2" (expected 1 or 2)',
    ],
    ['an empty array', '[]', 'unsupported codec version nothing (expected 1 or 2)'],
    [
      'too few elements',
      JSON.stringify([2, 0, 0, 'info', 's', 'm', null, null, null, null]),
      'expected 11 elements for version 2, got 10',
    ],
    [
      'too many elements',
      JSON.stringify([2, 0, 0, 'info', 's', 'm', null, null, null, null, 'default', null]),
      'expected 11 elements for version 2, got 12',
    ],
    [
      'a version 1 entry carrying a tenant',
      JSON.stringify([1, 0, 0, 'info', 's', 'm', null, null, null, null, 'default']),
      'expected 10 elements for version 1, got 11',
    ],
  ])('rejects %s', (_name, raw, reason) => {
    expect(decodeFailure(raw as string | null | undefined).reason).toBe(reason);
  });

  it.each([
    [
      'a string timestamp',
      1,
      '2026-11-26T10:00:00Z',
      'timestamp must be integer epoch milliseconds in range',
    ],
    ['a fractional timestamp', 1, 1.5, 'timestamp must be integer epoch milliseconds in range'],
    ['a negative timestamp', 1, -1, 'timestamp must be integer epoch milliseconds in range'],
    [
      'a timestamp past year 9999',
      1,
      253_402_300_800_000,
      'timestamp must be integer epoch milliseconds in range',
    ],
    ['a null receivedAt', 2, null, 'receivedAt must be integer epoch milliseconds in range'],
    ['an unknown level', 3, 'verbose', 'level must be one of the log levels, got "verbose"'],
    ['an upper-case level', 3, 'INFO', 'level must be one of the log levels, got "INFO"'],
    ['a numeric service', 4, 5, 'service must be a string'],
    ['an empty service', 4, '', 'service must not be empty'],
    ['a 129-character service', 4, 's'.repeat(129), 'service must be at most 128 characters long (got 129)'],
    ['a service with NUL', 4, 'a\u0000', 'service must not contain U+0000 (NUL)'],
    ['a null message', 5, null, 'message must be a string'],
    ['an empty message', 5, '', 'message must not be empty'],
    [
      'an oversized message',
      5,
      'm'.repeat(65_537),
      'message must be at most 65536 bytes of UTF-8 (got 65537)',
    ],
    [
      'a message with a lone surrogate',
      5,
      'x\ud800',
      'message must be well-formed UTF-16 (it contains a lone surrogate)',
    ],
    ['array attributes', 6, [1], 'attributes must be null or a JSON object'],
    ['string attributes', 6, '{}', 'attributes must be null or a JSON object'],
    ['attributes holding NUL', 6, { a: ['\u0000'] }, 'attributes must not contain U+0000 (NUL)'],
    [
      'attributes with a lone surrogate key',
      6,
      { '\udc00': 1 },
      'attributes must be well-formed UTF-16 (it contains a lone surrogate)',
    ],
    [
      'attributes deeper than ingest allows',
      6,
      { a: [[[[[[[[1]]]]]]]] },
      'attributes must not nest more than 8 levels deep',
    ],
    ['an upper-case traceId', 7, 'A'.repeat(32), 'traceId must be null or match /^[0-9a-f]{32}$/'],
    ['a short traceId', 7, 'a'.repeat(31), 'traceId must be null or match /^[0-9a-f]{32}$/'],
    ['a numeric spanId', 8, 1234567890123456, 'spanId must be null or match /^[0-9a-f]{16}$/'],
    ['an eventId with a space', 9, 'a b', 'eventId must be null or match /^[A-Za-z0-9._:-]{1,128}$/'],
    ['an empty eventId', 9, '', 'eventId must be null or match /^[A-Za-z0-9._:-]{1,128}$/'],
    ['a null tenant', 10, null, 'tenant must match /^[A-Za-z0-9._-]{1,64}$/'],
    ['an empty tenant', 10, '', 'tenant must match /^[A-Za-z0-9._-]{1,64}$/'],
    ['a 65-character tenant', 10, 't'.repeat(65), 'tenant must match /^[A-Za-z0-9._-]{1,64}$/'],
  ])('rejects %s', (_name, index, value, reason) => {
    expect(decodeFailure(encodedWith(index, value)).reason).toBe(reason);
  });

  it('rejects pathological nesting in attributes with a decode error, not a stack overflow', () => {
    const raw = encodedWith(6, null).replace(
      ',null,"4bf',
      `,{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}},"4bf`,
    );
    expect(decodeFailure(raw).reason).toBe('attributes must not nest more than 8 levels deep');
  });
});

describe('chunks (version 3)', () => {
  it('round-trips every entry of a chunk, in order', () => {
    const decoded = decodeStreamValue(encodeLogChunk([FULL, MINIMAL, FULL]));
    expect(decoded.chunk).toBe(true);
    expect(decoded.slots).toEqual([
      { ok: true, entry: FULL },
      { ok: true, entry: MINIMAL },
      { ok: true, entry: FULL },
    ]);
  });

  it('builds the same chunk from entries encoded one by one', () => {
    expect(encodeLogChunkOfEncoded([FULL, MINIMAL].map(encodeChunkEntry))).toBe(
      encodeLogChunk([FULL, MINIMAL]),
    );
    expect(JSON.parse(encodeLogChunk([MINIMAL]))[0]).toBe(LOG_CHUNK_CODEC_VERSION);
  });

  it('reports a bad entry in its own slot and still decodes its neighbours', () => {
    const bad = [1, 2, 'loud', 's', 'm', null, null, null, null, 'default'];
    const raw = `[3,${encodeChunkEntry(FULL)},${JSON.stringify(bad)},"not an array",${encodeChunkEntry(MINIMAL)}]`;
    const { slots } = decodeStreamValue(raw);
    expect(slots.map((slot) => slot.ok)).toEqual([true, false, false, true]);
    const [, badLevel, notArray] = slots;
    expect(!badLevel.ok && badLevel.error.reason).toMatch(/level must be one of/);
    expect(!badLevel.ok && JSON.parse(badLevel.raw)).toEqual(bad);
    expect(!notArray.ok && notArray.error.reason).toMatch(/must be a JSON array/);
  });

  it('refuses a chunk entry of the wrong arity alone', () => {
    const short = JSON.stringify(JSON.parse(encodeChunkEntry(FULL)).slice(0, 9));
    const { slots } = decodeStreamValue(`[3,${short}]`);
    expect(!slots[0].ok && slots[0].error.reason).toMatch(/expected 10 elements/);
  });

  it('refuses a whole value that is not a chunk or an entry', () => {
    expect(() => decodeStreamValue('[3]')).toThrow(/at least one entry/);
    expect(() => decodeStreamValue('[9,1]')).toThrow(/unsupported codec version 9 \(expected 1, 2, 3, 4\)/);
    expect(() => decodeStreamValue('{')).toThrow(LogEntryDecodeError);
    expect(() => decodeStreamValue(null)).toThrow(/expected a string, got null/);
  });

  it('still reads single entries of versions 1 and 2 as one slot', () => {
    expect(decodeStreamValue(encodeLogEntry(FULL))).toEqual({
      chunk: false,
      slots: [{ ok: true, entry: FULL }],
    });
    const v1 = JSON.stringify([1, 5, 6, 'info', 's', 'm', null, null, null, null]);
    expect(decodeStreamValue(v1).slots[0]).toEqual({
      ok: true,
      entry: { ...MINIMAL, timestamp: 5, receivedAt: 6, level: 'info', tenant: 'default' },
    });
  });

  it('will not read a chunk as a single entry', () => {
    expect(() => decodeLogEntry(encodeLogChunk([FULL]))).toThrow(/unsupported codec version 3/);
  });

  it('names the stored position of a chunk entry', () => {
    expect(chunkEntryId('1764151200000-3', 17)).toBe('1764151200000-3#17');
    expect(chunkEntryId('s2:1764151200000-3', 0)).toBe('s2:1764151200000-3#0');
  });
});

describe('chunks of entries as sent (version 4)', () => {
  const RECEIVED = 1_764_151_200_500;
  const submitted = [
    {
      timestamp: '2025-11-26T10:00:00.123456Z',
      level: 'error',
      service: 'checkout',
      message: FULL.message,
      attributes: FULL.attributes,
      trace_id: FULL.traceId?.toUpperCase(),
      span_id: FULL.spanId,
      id: FULL.eventId,
    },
    { level: 'trace', service: 's', message: 'm' },
  ];
  const value = (entries: unknown, tenant = 'acme', received: unknown = RECEIVED) =>
    `[${LOG_SUBMITTED_CHUNK_CODEC_VERSION},${JSON.stringify(received)},${JSON.stringify(tenant)},${JSON.stringify(entries, null, 2)}]`;

  it('starts with the opening submittedChunkOpening writes', () => {
    expect(value(submitted).startsWith(submittedChunkOpening(RECEIVED, 'acme'))).toBe(true);
  });

  it('reads each entry as validation at receipt would have made it, with the value receipt time and tenant', () => {
    const decoded = decodeStreamValue(value(submitted));
    expect(decoded.chunk).toBe(true);
    const context = { receivedAtMs: RECEIVED, tenant: 'acme' };
    const expected = submitted.map((input) => {
      const result = validateLogEntry(input, context);
      if (!result.ok) throw new Error('fixture must be valid');
      return result.entry;
    });
    expect(decoded.slots).toEqual(expected.map((entry) => ({ ok: true, entry })));
    expect(decoded.slots[1]).toMatchObject({ entry: { timestamp: RECEIVED, receivedAt: RECEIVED } });
  });

  it('reports an entry that breaks a rule in its own slot, with that rule, and still reads its neighbours', () => {
    const poison = { level: 'loud', service: 's', message: 'm', note: 1 };
    const { slots } = decodeStreamValue(value([submitted[0], poison, submitted[1]]));
    expect(slots.map((slot) => slot.ok)).toEqual([true, false, true]);
    const bad = slots[1] as Extract<DecodedSlot, { ok: false }>;
    expect(bad.error).toBeInstanceOf(LogEntryDecodeError);
    expect(bad.error.reason).toMatch(/^(level|note): /);
    expect(JSON.parse(bad.raw)).toEqual(poison);
    const notAnObject = decodeStreamValue(value([7])).slots[0] as Extract<DecodedSlot, { ok: false }>;
    expect(notAnObject.error.reason).toContain('must be a JSON object');
  });

  it('refuses a whole value whose header is wrong', () => {
    const refused = (raw: string) => () => decodeStreamValue(raw);
    expect(refused(value(submitted, 'not a tenant!'))).toThrow(/tenant must match/);
    expect(refused(value(submitted, 'acme', -1))).toThrow(/receivedAt must be integer epoch milliseconds/);
    expect(refused(value(submitted, 'acme', 'now'))).toThrow(LogEntryDecodeError);
    expect(refused(value([]))).toThrow(/non-empty array of entries/);
    expect(refused(value({ level: 'info' }))).toThrow(/non-empty array of entries/);
    expect(refused(`[4,${RECEIVED},"acme"]`)).toThrow(/expected 4 elements for version 4, got 3/);
  });
});
