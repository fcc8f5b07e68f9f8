import fc from 'fast-check';
import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS } from './log-entry.limits';
import { parseTimestamp, timestampEpochMs } from './timestamp';

// The parser reads an ISO-8601 timestamp by position; the rule it implements is the pattern in
// timestamp.ts's comment. This reference applies that pattern with RegExp captures, as the parser did
// before, and every string below must get the same answer from both.
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function byPattern(text: string): number | 'format' | 'range' {
  const match = ISO_DATE_TIME.exec(text);
  if (match === null) return 'format';
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  const offsetHours = sign === undefined ? 0 : Number(oh);
  const offsetMinutes = sign === undefined ? 0 : Number(om);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  if (month < 1 || month > 12 || day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59)
    return 'format';
  if (offsetHours > 23 || offsetMinutes > 59) return 'format';
  if (year < 1969) return 'range';
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  const offsetMs = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMs;
  return epochMs >= MIN_TIMESTAMP_MS && epochMs <= MAX_TIMESTAMP_MS ? epochMs : 'range';
}

function byParser(text: string): number | 'format' | 'range' {
  const parsed = parseTimestamp(text);
  if (parsed.ok) return parsed.epochMs;
  return parsed.problem.startsWith('must be between') ? 'range' : 'format';
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** A timestamp of the pattern's shape: any date and time, 0-11 fraction digits, Z or an offset. */
const wellFormed = fc
  .record({
    year: fc.oneof(fc.integer({ min: 1965, max: 2100 }), fc.integer({ min: 0, max: 9999 })),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.integer({ min: 0, max: 61 }),
    fraction: fc
      .integer({ min: 0, max: 11 })
      .chain((length) =>
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length }),
      ),
    dot: fc.boolean(),
    zone: fc.oneof(
      fc.constant('Z'),
      fc
        .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }))
        .map(([sign, h, m]) => `${sign}${pad(h, 2)}:${pad(m, 2)}`),
    ),
  })
  .map(
    (t) =>
      `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}T${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}` +
      `${t.dot ? `.${t.fraction}` : ''}${t.zone}`,
  );

/** One character replaced, inserted or removed anywhere: where a hand-written parser goes wrong. */
const CHARACTERS = [...'0123456789-:.+TZtz ٣/'];
const mangled = fc
  .tuple(wellFormed, fc.nat(), fc.constantFrom('replace', 'insert', 'remove'), fc.constantFrom(...CHARACTERS))
  .map(([text, at, how, character]) => {
    const i = at % (text.length + 1);
    if (how === 'insert') return text.slice(0, i) + character + text.slice(i);
    if (how === 'remove') return text.slice(0, i) + text.slice(i + 1);
    return text.slice(0, i) + character + text.slice(i + 1);
  });
const timestamp = fc.oneof(wellFormed, mangled, mangled);

describe('timestampEpochMs of epoch milliseconds', () => {
  it('takes what parseTimestamp takes and nothing else', () => {
    for (const value of [
      0,
      -0,
      1_700_000_000_000,
      MAX_TIMESTAMP_MS,
      MAX_TIMESTAMP_MS + 1,
      -1,
      1.5,
      NaN,
      null,
      {},
      true,
    ]) {
      const parsed = parseTimestamp(value);
      expect(timestampEpochMs(value)).toBe(parsed.ok ? parsed.epochMs : undefined);
    }
    expect(Object.is(timestampEpochMs(-0), 0)).toBe(true);
  });
});

describe('parseTimestamp of ISO-8601 strings', () => {
  it('answers as the RFC 3339 pattern does, for well-formed and mangled strings alike', () => {
    fc.assert(
      fc.property(timestamp, (text) => {
        const expected = byPattern(text);
        expect(byParser(text)).toEqual(expected);
        // The ingest path's check without a result object says the same.
        expect(timestampEpochMs(text)).toBe(typeof expected === 'number' ? expected : undefined);
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads the examples of the pattern', () => {
    expect(byParser('2026-11-26T10:00:00.123Z')).toBe(Date.UTC(2026, 10, 26, 10, 0, 0, 123));
    expect(byParser('2026-11-26T10:00:00.123456789+02:30')).toBe(
      Date.UTC(2026, 10, 26, 10, 0, 0, 123) - 150 * 60_000,
    );
    expect(byParser('2026-11-26T10:00:00.1234567890Z')).toBe('format');
    expect(byParser('2026-11-26T10:00:00.Z')).toBe('format');
    expect(byParser('2026-11-26T10:00:60Z')).toBe('format');
    expect(byParser('1969-12-31T23:59:59.999Z')).toBe('range');
  });
});
