import type { LogPartitionFill } from '@logpipe/log-store';
import { type FillReading, planInsertVacuumHolds } from './insert-vacuum-hold';

const HOUR = 3_600_000;
const NOW = new Date('2026-12-06T12:00:00.000Z');
const at = (hoursFromNow: number) => new Date(NOW.getTime() + hoursFromNow * HOUR);

function partition(name: string, overrides: Partial<LogPartitionFill> = {}): LogPartitionFill {
  return {
    name,
    rangeEnd: at(-12),
    held: true,
    rowsInserted: 50_000,
    insertVacuumTrigger: 11_000,
    ...overrides,
  };
}

function readings(entries: Record<string, Partial<FillReading>>): Map<string, FillReading> {
  return new Map(
    Object.entries(entries).map(([name, r]) => [
      name,
      { rowsInserted: 50_000, busyAtMs: NOW.getTime(), ...r },
    ]),
  );
}

describe('planInsertVacuumHolds', () => {
  it('holds every partition whose range has not ended, and changes none already held', () => {
    const plan = planInsertVacuumHolds(
      [
        partition('today', { rangeEnd: at(12), held: false }),
        partition('tomorrow', { rangeEnd: at(36) }),
        partition('unbounded', { rangeEnd: null, held: false }),
      ],
      new Map(),
      NOW,
      HOUR,
    );
    expect(plan).toMatchObject({ hold: ['today', 'unbounded'], resume: [] });
    expect(plan.readings.get('today')).toEqual({ rowsInserted: 50_000, busyAtMs: NOW.getTime() });
  });

  it('changes nothing without an earlier reading, and starts the quiet period of a held partition then', () => {
    const plan = planInsertVacuumHolds(
      [partition('held'), partition('handed-back', { held: false })],
      new Map(),
      NOW,
      0,
    );
    expect(plan).toMatchObject({ hold: [], resume: [] });
    expect(plan.readings.get('held')?.busyAtMs).toBe(NOW.getTime());
    expect(plan.readings.get('handed-back')?.busyAtMs).toBe(-Infinity);
  });

  it('hands a held partition back only once it has been quiet for the whole quiet period', () => {
    const previous = readings({ yesterday: { busyAtMs: at(-1).getTime() + 1 } });
    const quiet = [partition('yesterday', { rowsInserted: 50_000 + 10_999 })];
    expect(planInsertVacuumHolds(quiet, previous, NOW, HOUR).resume).toEqual([]);
    const later = readings({ yesterday: { busyAtMs: at(-1).getTime() } });
    expect(planInsertVacuumHolds(quiet, later, NOW, HOUR).resume).toEqual(['yesterday']);
  });

  it('keeps a partition that takes as many rows as would trigger a vacuum held, and its quiet period restarts', () => {
    const previous = readings({ yesterday: { busyAtMs: at(-5).getTime() } });
    const plan = planInsertVacuumHolds(
      [partition('yesterday', { rowsInserted: 61_000 })],
      previous,
      NOW,
      HOUR,
    );
    expect(plan).toMatchObject({ hold: [], resume: [] });
    expect(plan.readings.get('yesterday')).toEqual({ rowsInserted: 61_000, busyAtMs: NOW.getTime() });
  });

  it('holds a handed-back partition again when a backfill fills it, but not for a trickle of late lines', () => {
    const previous = readings({ backfilled: {}, trickle: {} });
    const plan = planInsertVacuumHolds(
      [
        partition('backfilled', { held: false, rowsInserted: 61_000 }),
        partition('trickle', { held: false, rowsInserted: 50_040 }),
      ],
      previous,
      NOW,
      HOUR,
    );
    expect(plan).toMatchObject({ hold: ['backfilled'], resume: [] });
  });

  it('changes nothing when the insert count went down (statistics reset), and keeps the quiet period', () => {
    const previous = readings({ yesterday: { busyAtMs: at(-3).getTime() } });
    const plan = planInsertVacuumHolds([partition('yesterday', { rowsInserted: 10 })], previous, NOW, HOUR);
    expect(plan).toMatchObject({ hold: [], resume: [] });
    expect(plan.readings.get('yesterday')).toEqual({ rowsInserted: 10, busyAtMs: at(-3).getTime() });
  });

  it('forgets the partitions no longer listed (dropped by retention)', () => {
    const plan = planInsertVacuumHolds([partition('kept')], readings({ kept: {}, dropped: {} }), NOW, HOUR);
    expect([...plan.readings.keys()]).toEqual(['kept']);
  });
});
