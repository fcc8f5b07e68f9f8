import { PARTITION_INTERVAL_PATTERN, partitionIntervalMs } from './partitioning';

describe('partition intervals', () => {
  it('accepts whole hours, days and weeks, and reads them as milliseconds', () => {
    expect(['1 hour', '6 hours', '1 day', '1 week'].map(partitionIntervalMs)).toEqual([
      3_600_000, 21_600_000, 86_400_000, 604_800_000,
    ]);
    for (const ok of ['1 hour', '2 days', '1 week']) expect(PARTITION_INTERVAL_PATTERN.test(ok)).toBe(true);
  });

  it('refuses months (not a fixed width) and anything else', () => {
    for (const bad of ['1 month', '0 days', '1.5 days', 'daily', '1day']) {
      expect(PARTITION_INTERVAL_PATTERN.test(bad)).toBe(false);
    }
    expect(() => partitionIntervalMs('1 month')).toThrow(RangeError);
  });
});
