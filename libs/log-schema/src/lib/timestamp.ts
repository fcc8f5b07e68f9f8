import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS } from './log-entry.limits';

export type TimestampParse =
  | { readonly ok: true; readonly epochMs: number }
  | { readonly ok: false; readonly problem: string };

// RFC 3339 profile of ISO-8601: a full date-time with a mandatory zone, as this pattern (the rule; the
// parser below reads it by position instead of with RegExp captures, which allocated a match array and
// ten substrings per entry on the hot path, issue 14; timestamp.spec.ts holds the two to each other):
//   ^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$
// Up to nine fractional digits (nanoseconds) are accepted; digits past the millisecond are truncated, not
// rounded.
const MAX_FRACTION_DIGITS = 9;
const CHAR_0 = 0x30;
const [DASH, COLON, DOT, PLUS, LETTER_T, LETTER_Z] = ['-', ':', '.', '+', 'T', 'Z'].map((c) =>
  c.charCodeAt(0),
);

/** The ASCII digits text[start, start + count) as a number, or -1 if any is not one. */
function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const digit = text.charCodeAt(i) - CHAR_0;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const FORMAT_PROBLEM =
  'must be an ISO-8601 date-time with a timezone (e.g. 2026-11-26T10:00:00.123Z) or a non-negative integer of epoch milliseconds';
const RANGE_PROBLEM = 'must be between 1970-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z';

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function inRange(epochMs: number): boolean {
  return epochMs >= MIN_TIMESTAMP_MS && epochMs <= MAX_TIMESTAMP_MS;
}

// What epochMsOf returns for a value it refuses, by problem (a valid time is never negative).
const BAD_FORMAT = -1;
const OUT_OF_RANGE = -2;

/**
 * The epoch milliseconds of an ISO-8601 date-time, or BAD_FORMAT / OUT_OF_RANGE: a number, not a result
 * object, because validating and then normalising an entry read every submitted timestamp (issue 14:
 * allocation per entry).
 */
function isoEpochMs(text: string): number {
  const length = text.length;
  // YYYY-MM-DDTHH:MM:SS and at least a zone letter.
  if (
    length < 20 ||
    text.charCodeAt(4) !== DASH ||
    text.charCodeAt(7) !== DASH ||
    text.charCodeAt(10) !== LETTER_T ||
    text.charCodeAt(13) !== COLON ||
    text.charCodeAt(16) !== COLON
  ) {
    return BAD_FORMAT;
  }
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
    return BAD_FORMAT;
  }
  let at = 19;
  let millis = 0;
  if (text.charCodeAt(at) === DOT) {
    let end = at + 1;
    while (end < length && digitsAt(text, end, 1) >= 0) end++;
    const digits = end - at - 1;
    if (digits < 1 || digits > MAX_FRACTION_DIGITS) return BAD_FORMAT;
    for (let i = 0; i < 3; i++) millis = millis * 10 + (i < digits ? digitsAt(text, at + 1 + i, 1) : 0);
    at = end;
  }
  let offsetSign = 0;
  let offsetHours = 0;
  let offsetMinutes = 0;
  const zone = text.charCodeAt(at);
  const utc = zone === LETTER_Z && at === length - 1;
  if (!utc) {
    // ±HH:MM, the last six characters.
    if ((zone !== PLUS && zone !== DASH) || at !== length - 6 || text.charCodeAt(at + 3) !== COLON) {
      return BAD_FORMAT;
    }
    offsetSign = zone === DASH ? -1 : 1;
    offsetHours = digitsAt(text, at + 1, 2);
    offsetMinutes = digitsAt(text, at + 4, 2);
    if (offsetHours < 0 || offsetMinutes < 0) return BAD_FORMAT;
  }
  const monthDays = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1];
  // Leap seconds (:60) are rejected: epoch milliseconds cannot represent them.
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > monthDays ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  ) {
    return BAD_FORMAT;
  }
  // Date.UTC reads years 0-99 as 1900-1999; such years are out of range anyway, so stop before it can.
  if (year < 1969) {
    return OUT_OF_RANGE;
  }
  const offsetMs = offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000;
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMs;
  return inRange(epochMs) ? epochMs : OUT_OF_RANGE;
}

// Validation parses a timestamp, then normalisation parses the same value again: remembering the last
// string saves the second parse on the hot path (ISO parsing is ~8% of validating an entry).
let lastText: string | undefined;
let lastEpochMs = BAD_FORMAT;

function cachedIsoEpochMs(text: string): number {
  if (text !== lastText) {
    lastEpochMs = isoEpochMs(text);
    lastText = text;
  }
  return lastEpochMs;
}

/** A submitted `timestamp` (ISO-8601 string with zone, or integer epoch ms) as epoch ms, or its problem code. */
function epochMsOf(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return BAD_FORMAT;
    // `+ 0` turns -0 (JSON.parse reads "-0" so) into 0.
    return inRange(value) ? value + 0 : OUT_OF_RANGE;
  }
  return typeof value === 'string' ? cachedIsoEpochMs(value) : BAD_FORMAT;
}

/**
 * A submitted `timestamp` as epoch milliseconds, or undefined where parseTimestamp finds a problem: the
 * check and the value of the ingest path, without a result object per entry.
 */
export function timestampEpochMs(value: unknown): number | undefined {
  const epochMs = epochMsOf(value);
  return epochMs >= 0 ? epochMs : undefined;
}

/** Reads a submitted `timestamp` (ISO-8601 string with zone, or integer epoch ms) as epoch milliseconds. */
export function parseTimestamp(value: unknown): TimestampParse {
  const epochMs = epochMsOf(value);
  if (epochMs >= 0) return { ok: true, epochMs };
  return { ok: false, problem: epochMs === OUT_OF_RANGE ? RANGE_PROBLEM : FORMAT_PROBLEM };
}
