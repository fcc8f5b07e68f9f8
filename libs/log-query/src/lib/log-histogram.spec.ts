import { assembleHistogram, autoInterval, bucketRange, MAX_BUCKETS, TARGET_BUCKETS } from './log-histogram';

const H = 3600000;

describe('autoInterval', () => {
  it.each([
    [15 * 60000, '10s'],
    [H, '30s'],
    [24 * H, '30m'],
    [7 * 24 * H, '3h'],
    [365 * 24 * H, '7d'],
  ])('picks the smallest interval that fits %d ms into the target bucket count', (span, expected) => {
    expect(autoInterval(0, span)).toBe(expected);
  });

  it('never exceeds the target for spans up to years', () => {
    for (let span = 1000; span < 2 * 365 * 24 * H; span *= 1.7) {
      const interval = autoInterval(1_000_000, 1_000_000 + span);
      const { count } = bucketRange(1_000_000, 1_000_000 + span, intervalMs(interval));
      expect(count).toBeLessThanOrEqual(TARGET_BUCKETS + 1);
      expect(count).toBeLessThanOrEqual(MAX_BUCKETS);
    }
  });
});

function intervalMs(name: string): number {
  return assembleHistogram(0, 1, name, []).interval_ms;
}

describe('assembleHistogram', () => {
  it('fills every bucket of the range, aligned to the interval, and puts each row in its bucket', () => {
    const from = Date.UTC(2026, 10, 26, 10, 7);
    const to = Date.UTC(2026, 10, 26, 10, 31);
    const histogram = assembleHistogram(from, to, '10m', [
      { bucket_ms: String(Date.UTC(2026, 10, 26, 10, 0)), level: 'info', count: '3' },
      { bucket_ms: Date.UTC(2026, 10, 26, 10, 0), level: 'error', count: 2 },
      { bucket_ms: Date.UTC(2026, 10, 26, 10, 30), level: 'warn', count: '1' },
    ]);
    expect(histogram.buckets.map((b) => b.start)).toEqual([
      '2026-11-26T10:00:00.000Z',
      '2026-11-26T10:10:00.000Z',
      '2026-11-26T10:20:00.000Z',
      '2026-11-26T10:30:00.000Z',
    ]);
    expect(histogram.buckets.map((b) => b.total)).toEqual([5, 0, 0, 1]);
    expect(histogram.buckets[0].counts).toEqual({ info: 3, error: 2 });
    expect(histogram.interval_ms).toBe(600000);
  });

  it('ignores rows outside the range or with an unknown level', () => {
    const histogram = assembleHistogram(0, 60000, '1m', [
      { bucket_ms: 120000, level: 'info', count: 1 },
      { bucket_ms: 0, level: 'loud', count: 1 },
    ]);
    expect(histogram.buckets).toHaveLength(1);
    expect(histogram.buckets[0].total).toBe(0);
  });
});
