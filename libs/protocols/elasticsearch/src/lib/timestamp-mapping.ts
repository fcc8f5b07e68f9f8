// Elasticsearch's default date format is `strict_date_optional_time||epoch_millis`: an ISO-8601 date,
// optionally with a time and a zone (UTC when none), or epoch milliseconds as a number or a string of
// digits. Logpipe's entry takes an ISO-8601 date-time WITH a zone or integer epoch milliseconds, so the
// forms Elasticsearch reads as UTC are completed here; the entry's own rules then check the result.

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// A date-time without a zone: 2026-11-26T10:00, 2026-11-26T10:00:00, 2026-11-26T10:00:00.123456
const DATE_TIME_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;
const HOUR_MINUTE_ONLY = /T\d{2}:\d{2}$/;
const EPOCH_MILLIS_TEXT = /^\d{1,15}$/;

/**
 * The value to hand the entry as its `timestamp`: a string or number the entry's rules will accept or
 * refuse (with their own message naming the field), never silently replaced by the receipt time.
 */
export function timestampForEntry(value: unknown): unknown {
  if (typeof value === 'number') {
    // epoch_millis may carry a fraction (Logstash and some SDKs write 1764151200123.456); the entry
    // keeps milliseconds, so the fraction is truncated like the sub-millisecond digits of an ISO time.
    return Number.isFinite(value) ? Math.trunc(value) : value;
  }
  if (typeof value !== 'string') return value;
  // The common case (shippers write UTC with a Z) needs no completion.
  if (value.endsWith('Z')) return value;
  if (EPOCH_MILLIS_TEXT.test(value)) return Number(value);
  if (DATE_ONLY.test(value)) return `${value}T00:00:00Z`;
  if (DATE_TIME_WITHOUT_ZONE.test(value)) {
    return HOUR_MINUTE_ONLY.test(value) ? `${value}:00Z` : `${value}Z`;
  }
  return value;
}
