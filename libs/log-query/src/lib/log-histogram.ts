import { LOG_LEVELS, type LogLevel } from '@logpipe/log-schema';

/** Bucket widths a histogram may use, by name; every one divides a UTC day or week evenly. */
export const HISTOGRAM_INTERVALS: Readonly<Record<string, number>> = {
  '1s': 1000,
  '5s': 5000,
  '10s': 10000,
  '30s': 30000,
  '1m': 60000,
  '5m': 300000,
  '10m': 600000,
  '30m': 1800000,
  '1h': 3600000,
  '3h': 10800000,
  '6h': 21600000,
  '12h': 43200000,
  '1d': 86400000,
  '7d': 604800000,
};

/** The interval picked when none is asked for gives at most this many buckets (a chart's width). */
export const TARGET_BUCKETS = 120;
/** A requested interval may give at most this many buckets: the answer and the chart stay small. */
export const MAX_BUCKETS = 1000;
/** Without `from`, a histogram covers this long before `to` (without `to`: before now). */
export const DEFAULT_HISTOGRAM_RANGE_MS = 24 * 3600000;

/** The smallest named interval that splits [fromMs, toMs) into at most TARGET_BUCKETS buckets. */
export function autoInterval(fromMs: number, toMs: number): string {
  const span = Math.max(1, toMs - fromMs);
  for (const [name, ms] of Object.entries(HISTOGRAM_INTERVALS)) {
    if (Math.ceil(span / ms) <= TARGET_BUCKETS) return name;
  }
  return '7d';
}

/** First bucket start (aligned to the interval since the Unix epoch, as date_bin does) and the count. */
export function bucketRange(
  fromMs: number,
  toMs: number,
  intervalMs: number,
): { startMs: number; count: number } {
  const startMs = Math.floor(fromMs / intervalMs) * intervalMs;
  return { startMs, count: Math.max(1, Math.ceil((toMs - startMs) / intervalMs)) };
}

export type LevelCounts = Partial<Record<LogLevel, number>>;

export interface HistogramBucket {
  /** Bucket start, ISO-8601 UTC; the bucket ends where the next begins (`start + interval_ms`). */
  start: string;
  total: number;
  counts: LevelCounts;
}

export interface LogHistogram {
  from: string;
  to: string;
  interval: string;
  interval_ms: number;
  /** Every bucket of the range, oldest first, empty ones included (total 0). */
  buckets: HistogramBucket[];
}

/** A grouped row: bucket start (epoch ms), level, how many. */
export interface HistogramRow {
  bucket_ms: string | number;
  level: string;
  count: string | number;
}

/** Fills every bucket of the range from the grouped rows (which name only non-empty ones). */
export function assembleHistogram(
  fromMs: number,
  toMs: number,
  interval: string,
  rows: readonly HistogramRow[],
): LogHistogram {
  const intervalMs = HISTOGRAM_INTERVALS[interval];
  const { startMs, count } = bucketRange(fromMs, toMs, intervalMs);
  const buckets: HistogramBucket[] = Array.from({ length: count }, (_, i) => ({
    start: new Date(startMs + i * intervalMs).toISOString(),
    total: 0,
    counts: {},
  }));
  for (const row of rows) {
    const index = Math.round((Number(row.bucket_ms) - startMs) / intervalMs);
    const bucket = buckets[index];
    if (bucket === undefined || !(LOG_LEVELS as readonly string[]).includes(row.level)) continue;
    const n = Number(row.count);
    bucket.counts[row.level as LogLevel] = (bucket.counts[row.level as LogLevel] ?? 0) + n;
    bucket.total += n;
  }
  return {
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    interval,
    interval_ms: intervalMs,
    buckets,
  };
}
