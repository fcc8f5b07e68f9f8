// Layout of the histogram: stacked bars per bucket, and the mapping from a dragged span of pixels back
// to a time range. Pure functions, so the drag-to-zoom arithmetic is tested without a browser.
import type { Level } from '../state/view-state';

export interface Bucket {
  start: string;
  total: number;
  counts: Partial<Record<Level, number>>;
}

export interface Histogram {
  from: string;
  to: string;
  interval: string;
  interval_ms: number;
  buckets: Bucket[];
}

/** Stacking order, bottom to top: the most severe sits on the axis where it is easiest to see. */
export const STACK_ORDER: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export interface BarSegment {
  level: Level;
  y: number;
  height: number;
  count: number;
}

export interface Bar {
  x: number;
  width: number;
  startMs: number;
  endMs: number;
  total: number;
  segments: BarSegment[];
}

/** The range the chart spans: from the first bucket's start to the end of the last. */
export function chartSpan(histogram: Histogram): { startMs: number; endMs: number } {
  const first = histogram.buckets[0];
  const startMs = first ? Date.parse(first.start) : Date.parse(histogram.from);
  return { startMs, endMs: startMs + Math.max(1, histogram.buckets.length) * histogram.interval_ms };
}

/** A 1-2-5 round number at or above `max`, so the axis reads 0-50, 0-200, ... */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

export function layoutBars(
  histogram: Histogram,
  width: number,
  height: number,
): { bars: Bar[]; max: number } {
  const max = niceMax(Math.max(0, ...histogram.buckets.map((b) => b.total)));
  const n = Math.max(1, histogram.buckets.length);
  const slot = width / n;
  const gap = slot > 4 ? 1 : 0;
  const bars = histogram.buckets.map((bucket, i) => {
    const startMs = Date.parse(bucket.start);
    let y = height;
    const segments: BarSegment[] = [];
    for (const level of STACK_ORDER) {
      const count = bucket.counts[level] ?? 0;
      if (count === 0) continue;
      const h = (count / max) * height;
      y -= h;
      segments.push({ level, y, height: h, count });
    }
    return {
      x: i * slot,
      width: Math.max(1, slot - gap),
      startMs,
      endMs: startMs + histogram.interval_ms,
      total: bucket.total,
      segments,
    };
  });
  return { bars, max };
}

/**
 * The time range between two x positions of a drag (either direction), snapped outward to whole
 * buckets and kept inside the chart; null for a click or a drag narrower than `minPixels`.
 */
export function rangeForDrag(
  histogram: Histogram,
  width: number,
  x1: number,
  x2: number,
  minPixels = 4,
): { fromMs: number; toMs: number } | null {
  if (Math.abs(x2 - x1) < minPixels || width <= 0) return null;
  const { startMs, endMs } = chartSpan(histogram);
  const at = (x: number) => startMs + (Math.min(Math.max(x, 0), width) / width) * (endMs - startMs);
  const from = at(Math.min(x1, x2));
  const to = at(Math.max(x1, x2));
  const step = histogram.interval_ms;
  const fromMs = Math.max(startMs, Math.floor((from - startMs) / step) * step + startMs);
  const toMs = Math.min(endMs, Math.ceil((to - startMs) / step) * step + startMs);
  return toMs > fromMs ? { fromMs, toMs } : null;
}
