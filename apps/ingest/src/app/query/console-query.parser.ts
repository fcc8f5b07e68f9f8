import {
  autoInterval,
  bucketRange,
  DEFAULT_HISTOGRAM_RANGE_MS,
  HISTOGRAM_INTERVALS,
  MAX_BUCKETS,
  parseLogQuery,
  type LogFilter,
  type Parsed,
  type QueryParameterError,
  type RawQuery,
} from '@logpipe/log-query';
import { parseTimestamp } from '@logpipe/log-schema';

export const MAX_CONTEXT_ENTRIES = 100;
export const DEFAULT_CONTEXT_ENTRIES = 20;

export interface HistogramRequest {
  filter: LogFilter & { fromMs: number; toMs: number };
  interval: string;
}

/**
 * GET /api/logs/histogram: the filters of GET /api/logs plus `interval`. The range is always bounded:
 * `to` defaults to now and `from` to a day before `to`; the interval defaults to the smallest one
 * giving at most TARGET_BUCKETS buckets, and a requested one may not give more than MAX_BUCKETS.
 */
export function parseHistogramQuery(raw: RawQuery, nowMs = Date.now()): Parsed<HistogramRequest> {
  const { interval, ...rest } = raw ?? {};
  const parsed = parseLogQuery(rest, 'filter');
  const errors: QueryParameterError[] = parsed.ok ? [] : [...parsed.errors];
  if (interval !== undefined && (typeof interval !== 'string' || !(interval in HISTOGRAM_INTERVALS))) {
    errors.push({
      parameter: 'interval',
      message: `interval must be one of: ${Object.keys(HISTOGRAM_INTERVALS).join(', ')}`,
    });
  }
  if (!parsed.ok || errors.length > 0) return { ok: false, errors };
  const toMs = parsed.value.toMs ?? nowMs;
  const fromMs = parsed.value.fromMs ?? toMs - DEFAULT_HISTOGRAM_RANGE_MS;
  if (fromMs >= toMs)
    return { ok: false, errors: [{ parameter: 'from', message: 'from must be earlier than to' }] };
  const chosen = (interval as string | undefined) ?? autoInterval(fromMs, toMs);
  const { count } = bucketRange(fromMs, toMs, HISTOGRAM_INTERVALS[chosen]);
  if (count > MAX_BUCKETS) {
    return {
      ok: false,
      errors: [
        {
          parameter: 'interval',
          message: `interval ${chosen} gives ${count} buckets over this range; at most ${MAX_BUCKETS} (choose a wider interval or leave it out)`,
        },
      ],
    };
  }
  return { ok: true, value: { filter: { ...parsed.value, fromMs, toMs }, interval: chosen } };
}

export interface ContextRequest {
  service: string;
  atMs: number;
  limit: number;
}

/** GET /api/logs/context: `service` (one), `at` (an instant) and `limit` (entries on each side). */
export function parseContextQuery(raw: RawQuery): Parsed<ContextRequest> {
  const errors: QueryParameterError[] = [];
  const { service, at, limit, ...unknown } = raw ?? {};
  for (const parameter of Object.keys(unknown)) {
    errors.push({ parameter, message: `unknown parameter "${parameter.slice(0, 64)}"` });
  }
  if (typeof service !== 'string' || service.length < 1 || service.length > 128) {
    errors.push({ parameter: 'service', message: 'service must be given once, 1-128 characters' });
  }
  const time = typeof at === 'string' ? parseTimestamp(/^\d{1,15}$/.test(at) ? Number(at) : at) : undefined;
  if (time === undefined || !time.ok) {
    errors.push({
      parameter: 'at',
      message:
        'at must be an ISO-8601 date-time with a timezone (e.g. 2026-11-26T10:00:00Z) or epoch milliseconds',
    });
  }
  let count = DEFAULT_CONTEXT_ENTRIES;
  if (limit !== undefined) {
    count = typeof limit === 'string' && /^\d{1,4}$/.test(limit) ? Number(limit) : NaN;
    if (!(count >= 1 && count <= MAX_CONTEXT_ENTRIES)) {
      errors.push({
        parameter: 'limit',
        message: `limit must be an integer from 1 to ${MAX_CONTEXT_ENTRIES}`,
      });
    }
  }
  if (errors.length > 0 || time === undefined || !time.ok) return { ok: false, errors };
  return { ok: true, value: { service: service as string, atMs: time.epochMs, limit: count } };
}
