import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS } from './log-entry.limits';

export type TimestampParse =
  | { readonly ok: true; readonly epochMs: number }
  | { readonly ok: false; readonly problem: string };

// RFC 3339 profile of ISO-8601: a full date-time with a mandatory zone. Up to nine fractional digits
// (nanoseconds) are accepted; digits past the millisecond are truncated, not rounded.
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

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

function parseIsoDateTime(text: string): TimestampParse {
  const match = ISO_DATE_TIME.exec(text);
  if (match === null) {
    return { ok: false, problem: FORMAT_PROBLEM };
  }
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const offsetHours = sign === undefined ? 0 : Number(oh);
  const offsetMinutes = sign === undefined ? 0 : Number(om);
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
    return { ok: false, problem: FORMAT_PROBLEM };
  }
  // Date.UTC reads years 0-99 as 1900-1999; such years are out of range anyway, so stop before it can.
  if (year < 1969) {
    return { ok: false, problem: RANGE_PROBLEM };
  }
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  const offsetMs = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMs;
  return inRange(epochMs) ? { ok: true, epochMs } : { ok: false, problem: RANGE_PROBLEM };
}

// Validation parses a timestamp, then normalisation parses the same value again: remembering the last
// string saves the second parse on the hot path (ISO parsing is ~8% of validating an entry).
let lastText: string | undefined;
let lastParse: TimestampParse = { ok: false, problem: FORMAT_PROBLEM };

/** Reads a submitted `timestamp` (ISO-8601 string with zone, or integer epoch ms) as epoch milliseconds. */
export function parseTimestamp(value: unknown): TimestampParse {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      return { ok: false, problem: FORMAT_PROBLEM };
    }
    // `+ 0` turns -0 (JSON.parse reads "-0" so) into 0.
    return inRange(value) ? { ok: true, epochMs: value + 0 } : { ok: false, problem: RANGE_PROBLEM };
  }
  if (typeof value === 'string') {
    if (value !== lastText) {
      lastParse = parseIsoDateTime(value);
      lastText = value;
    }
    return lastParse;
  }
  return { ok: false, problem: FORMAT_PROBLEM };
}
