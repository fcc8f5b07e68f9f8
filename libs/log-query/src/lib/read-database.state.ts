/**
 * What the read pool is connected to: the primary, or a hot standby (a streaming read replica) and how
 * far its replay is behind.
 */
export type ReadDatabaseState = { role: 'primary' } | { role: 'replica'; lagSeconds: number | null };

/**
 * One statement that tells a primary from a standby and measures the standby's replay lag, run on the
 * read connection itself (the functions are executable by PUBLIC, so the reader role may call them).
 *
 * Lag is `now() - pg_last_xact_replay_timestamp()`: the age of the last transaction the standby has
 * replayed. Alone, that grows without bound while the primary is idle (nothing new to replay, so the
 * last replayed commit just gets older), so a standby that has replayed everything it has received
 * (`pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()`) reports 0. While WAL is waiting to be replayed
 * the age is the honest figure: the rows a reader misses are at most that old. It is null before the
 * standby has replayed any transaction, and when it restores from an archive only (no WAL receiver:
 * receive LSN null) it falls back to the age. GREATEST(0, ...) absorbs clock skew between the hosts.
 */
export const READ_DATABASE_STATE_SQL = `
  SELECT pg_is_in_recovery() AS in_recovery,
         CASE
           WHEN NOT pg_is_in_recovery() THEN NULL
           WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
           ELSE GREATEST(0, EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()))
         END::float8 AS lag_seconds`;

export interface ReadDatabaseStateRow {
  in_recovery: boolean;
  lag_seconds: number | null;
}

export function readDatabaseStateOf(row: ReadDatabaseStateRow): ReadDatabaseState {
  return row.in_recovery ? { role: 'replica', lagSeconds: row.lag_seconds } : { role: 'primary' };
}
