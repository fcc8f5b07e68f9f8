import type { LogPartitionFill } from '@logpipe/log-store';

/** What one maintenance run saw of a partition, kept for the next run to compare with. */
export interface FillReading {
  rowsInserted: number;
  /** When a run last found it taking rows fast enough to be vacuumed for them (epoch ms). */
  busyAtMs: number;
}

export interface InsertVacuumHoldPlan {
  /** Partitions to hold from insert-driven autovacuum. */
  hold: string[];
  /** Partitions to hand back to it. */
  resume: string[];
  /** This run's readings, for the next run (every partition listed, none other). */
  readings: Map<string, FillReading>;
}

/**
 * Which partitions to hold from insert-driven autovacuum and which to hand back (docs/store.md,
 * "Autovacuum of the partition being filled"). Pure: the maintenance job reads `partitions`, keeps
 * `previous` from its last run, and applies the plan.
 *
 * - A partition whose range has not ended is being filled: held.
 * - One whose range has ended is busy when it took, since the previous run, at least the rows that
 *   would make autovacuum vacuum it (its insertVacuumTrigger): a backfill, a replay, shippers flushing
 *   what they buffered. A busy partition is held again if it had been handed back.
 * - A held one is handed back once no run has found it busy for `quietMs`.
 * - Without an earlier reading (the worker just started) a run cannot tell, and changes nothing; for a
 *   held partition the quiet period starts then. Nor can it after the insert count went down (the
 *   statistics were reset, or the partition dropped and made again).
 */
export function planInsertVacuumHolds(
  partitions: readonly LogPartitionFill[],
  previous: ReadonlyMap<string, FillReading>,
  now: Date,
  quietMs: number,
): InsertVacuumHoldPlan {
  const nowMs = now.getTime();
  const plan: InsertVacuumHoldPlan = { hold: [], resume: [], readings: new Map() };
  for (const { name, rangeEnd, held, rowsInserted, insertVacuumTrigger } of partitions) {
    const before = previous.get(name);
    let busyAtMs: number;
    if (rangeEnd === null || rangeEnd.getTime() > nowMs) {
      busyAtMs = nowMs;
      if (!held) plan.hold.push(name);
    } else if (before === undefined) {
      busyAtMs = held ? nowMs : -Infinity;
    } else if (rowsInserted < before.rowsInserted) {
      busyAtMs = before.busyAtMs;
    } else {
      const busy = rowsInserted - before.rowsInserted >= insertVacuumTrigger;
      busyAtMs = busy ? nowMs : before.busyAtMs;
      if (busy && !held) plan.hold.push(name);
      else if (!busy && held && nowMs - busyAtMs >= quietMs) plan.resume.push(name);
    }
    plan.readings.set(name, { rowsInserted, busyAtMs });
  }
  return plan;
}
