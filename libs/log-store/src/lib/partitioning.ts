/** Nest token of the partition width (a PostgreSQL interval such as '1 day') the writer creates partitions with. */
export const LOG_PARTITION_INTERVAL = Symbol('LOG_PARTITION_INTERVAL');

export const DEFAULT_PARTITION_INTERVAL = '1 day';

/**
 * PARTITION_INTERVAL values: whole hours, days or weeks. Months are left out on purpose: partitions are
 * cut with date_bin(), which needs a fixed width.
 */
export const PARTITION_INTERVAL_PATTERN = /^[1-9][0-9]{0,3} (hour|day|week)s?$/;

const UNIT_MS: Record<string, number> = { hour: 3_600_000, day: 86_400_000, week: 604_800_000 };

/** A PARTITION_INTERVAL in milliseconds ('1 day' -> 86400000); the pattern above has been checked. */
export function partitionIntervalMs(interval: string): number {
  const match = /^(\d+) (hour|day|week)s?$/.exec(interval);
  if (match === null) throw new RangeError(`not a partition interval: ${interval}`);
  return Number(match[1]) * UNIT_MS[match[2]];
}
