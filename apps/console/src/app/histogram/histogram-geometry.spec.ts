import { layoutBars, niceMax, rangeForDrag, type Histogram } from './histogram-geometry';

const T0 = Date.UTC(2026, 10, 26, 10);
const histogram: Histogram = {
  from: new Date(T0).toISOString(),
  to: new Date(T0 + 4 * 60000).toISOString(),
  interval: '1m',
  interval_ms: 60000,
  buckets: [
    { start: new Date(T0).toISOString(), total: 10, counts: { info: 6, error: 4 } },
    { start: new Date(T0 + 60000).toISOString(), total: 0, counts: {} },
    { start: new Date(T0 + 120000).toISOString(), total: 3, counts: { warn: 3 } },
    { start: new Date(T0 + 180000).toISOString(), total: 1, counts: { debug: 1 } },
  ],
};

describe('layoutBars', () => {
  it('stacks each bucket by level, severe levels at the bottom, heights proportional to counts', () => {
    const { bars, max } = layoutBars(histogram, 400, 100);
    expect(max).toBe(10);
    expect(bars.map((b) => b.x)).toEqual([0, 100, 200, 300]);
    expect(bars[0].segments).toEqual([
      { level: 'error', y: 60, height: 40, count: 4 },
      { level: 'info', y: 0, height: 60, count: 6 },
    ]);
    expect(bars[1].segments).toEqual([]);
    expect(bars.reduce((sum, b) => sum + b.total, 0)).toBe(14);
  });

  it('rounds the axis up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 10, 11, 180, 501].map(niceMax)).toEqual([1, 1, 5, 10, 20, 200, 1000]);
  });
});

describe('rangeForDrag', () => {
  it('turns a drag into whole buckets, in either direction', () => {
    expect(rangeForDrag(histogram, 400, 150, 250)).toEqual({ fromMs: T0 + 60000, toMs: T0 + 180000 });
    expect(rangeForDrag(histogram, 400, 250, 150)).toEqual({ fromMs: T0 + 60000, toMs: T0 + 180000 });
  });

  it('keeps the range inside the chart and ignores a click', () => {
    expect(rangeForDrag(histogram, 400, -50, 900)).toEqual({ fromMs: T0, toMs: T0 + 240000 });
    expect(rangeForDrag(histogram, 400, 100, 102)).toBeNull();
  });
});
