/** Nest token of the partition width (a PostgreSQL interval such as '1 day') the writer creates partitions with. */
export const LOG_PARTITION_INTERVAL = Symbol('LOG_PARTITION_INTERVAL');

export const DEFAULT_PARTITION_INTERVAL = '1 day';

/**
 * PARTITION_INTERVAL values: whole hours, days or weeks. Months are left out on purpose: partitions are
 * cut with date_bin(), which needs a fixed width.
 */
export const PARTITION_INTERVAL_PATTERN = /^[1-9][0-9]{0,3} (hour|day|week)s?$/;
