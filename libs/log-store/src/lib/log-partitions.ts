/*
 * The partition management of `logs`, for the worker's maintenance job and for tests. Every call goes
 * through a SECURITY DEFINER function of the migration 1795910400000 (owned by the owner role), so the
 * caller needs EXECUTE on it, not ownership of `logs`.
 */

/** Anything that runs a parameterised statement: a TypeORM DataSource, QueryRunner or EntityManager. */
export interface SqlQueryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeORM types query results as any
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

export interface LogPartition {
  name: string;
  /** Inclusive lower bound; null for the legacy partition (MINVALUE). */
  rangeStart: Date | null;
  /** Exclusive upper bound. */
  rangeEnd: Date | null;
  /** Table, indexes and TOAST, in bytes. */
  totalBytes: number;
}

function boundary(value: string): Date | null {
  return value === '-infinity' || value === 'infinity' ? null : new Date(value);
}

export async function listLogPartitions(db: SqlQueryable): Promise<LogPartition[]> {
  const rows: { partition_name: string; range_start: string; range_end: string; total_bytes: string }[] =
    await db.query(
      `SELECT partition_name, to_json(range_start) #>> '{}' AS range_start, to_json(range_end) #>> '{}' AS range_end,
              total_bytes::text FROM logpipe_log_partitions() ORDER BY range_start`,
    );
  return rows.map((row) => ({
    name: row.partition_name,
    rangeStart: boundary(row.range_start),
    rangeEnd: boundary(row.range_end),
    totalBytes: Number(row.total_bytes),
  }));
}

/** Makes sure partitions cover [from, to); returns the names of the partitions covering it. */
export async function createLogPartitions(
  db: SqlQueryable,
  from: Date,
  to: Date,
  interval: string,
): Promise<string[]> {
  const rows: { name: string }[] = await db.query(
    `SELECT logpipe_create_log_partitions AS name FROM logpipe_create_log_partitions($1, $2, $3::interval)`,
    [from.toISOString(), to.toISOString(), interval],
  );
  return rows.map((row) => row.name);
}

/** Drops every partition whose rows are all older than `before`; returns their names. */
export async function dropLogPartitionsBefore(db: SqlQueryable, before: Date): Promise<string[]> {
  const rows: { name: string }[] = await db.query(
    `SELECT logpipe_drop_log_partitions AS name FROM logpipe_drop_log_partitions($1)`,
    [before.toISOString()],
  );
  return rows.map((row) => row.name);
}

export interface LogRowDeletion {
  /** The tenants concerned, or (with `except`) the tenants spared. */
  tenants: readonly string[];
  except: boolean;
  before: Date;
}

/**
 * Hands the partitions whose range ended before `before` (null: every partition) back to insert-driven
 * autovacuum (they were created without it while being filled, migration 1796428800000); returns their
 * names. Autovacuum then vacuums each once, at its next visit.
 */
export async function resumeInsertVacuum(db: SqlQueryable, before: Date | null): Promise<string[]> {
  const rows: { name: string }[] = await db.query(
    `SELECT logpipe_resume_insert_vacuum AS name FROM logpipe_resume_insert_vacuum($1)`,
    [before === null ? 'infinity' : before.toISOString()],
  );
  return rows.map((row) => row.name);
}

/** How much a partition has been filled, for deciding whether to hold it from insert-driven autovacuum. */
export interface LogPartitionFill {
  name: string;
  /** Exclusive upper bound of its range; null when unbounded. */
  rangeEnd: Date | null;
  /** Held from insert-driven autovacuum (`autovacuum_vacuum_insert_threshold = -1`). */
  held: boolean;
  /** Rows inserted into it since PostgreSQL's statistics began counting (pg_stat_user_tables.n_tup_ins). */
  rowsInserted: number;
  /**
   * Rows whose insertion makes autovacuum vacuum it, were it not held: the server's
   * autovacuum_vacuum_insert_threshold + _scale_factor × its estimated row count, as autovacuum reckons.
   */
  insertVacuumTrigger: number;
}

/**
 * Every partition with its insert count and hold. Needs no privilege beyond the listing function: the
 * statistics and reloptions are readable by every role. The counts reach the statistics a second or so
 * after the inserting transaction commits.
 */
export async function listLogPartitionFill(db: SqlQueryable): Promise<LogPartitionFill[]> {
  const rows: { name: string; range_end: string; held: boolean; rows_inserted: string; trigger: string }[] =
    await db.query(
      `SELECT p.partition_name AS name, to_json(p.range_end) #>> '{}' AS range_end,
              coalesce('autovacuum_vacuum_insert_threshold=-1' = ANY (c.reloptions), false) AS held,
              pg_stat_get_tuples_inserted(c.oid)::text AS rows_inserted,
              ceil(current_setting('autovacuum_vacuum_insert_threshold')::float8
                   + current_setting('autovacuum_vacuum_insert_scale_factor')::float8 * greatest(c.reltuples, 0))::text AS trigger
         FROM logpipe_log_partitions() p JOIN pg_class c ON c.oid = p.partition_name::regclass
        ORDER BY p.range_start`,
    );
  return rows.map((row) => ({
    name: row.name,
    rangeEnd: boundary(row.range_end),
    held: row.held,
    rowsInserted: Number(row.rows_inserted),
    insertVacuumTrigger: Number(row.trigger),
  }));
}

/**
 * Holds the named partitions from insert-driven autovacuum (`hold` true) or hands them back to it
 * (false); returns those it changed. A partition it cannot lock within the session's lock_timeout is
 * skipped, not an error (migration 1796472000000).
 */
export async function setInsertVacuumHold(
  db: SqlQueryable,
  partitions: readonly string[],
  hold: boolean,
): Promise<string[]> {
  if (partitions.length === 0) return [];
  const rows: { name: string }[] = await db.query(
    `SELECT logpipe_set_insert_vacuum_hold AS name FROM logpipe_set_insert_vacuum_hold($1::text[], $2)`,
    [partitions, hold],
  );
  return rows.map((row) => row.name);
}

/** Summarises the BRIN ranges filled since the last call in the partitions still being filled; returns how many. */
export async function summarizeOpenLogPartitions(db: SqlQueryable): Promise<number> {
  const [{ ranges }]: { ranges: number }[] = await db.query(
    `SELECT logpipe_summarize_open_log_partitions() AS ranges`,
  );
  return ranges;
}

/** Deletes at most `limit` rows (and their event ids) older than `before`; returns how many. */
export async function deleteLogRows(
  db: SqlQueryable,
  deletion: LogRowDeletion,
  limit: number,
): Promise<number> {
  const [{ deleted }]: { deleted: number }[] = await db.query(
    `SELECT logpipe_delete_log_rows($1::text[], $2, $3, $4) AS deleted`,
    [deletion.tenants, deletion.except, deletion.before.toISOString(), limit],
  );
  return deleted;
}

/** Forgets at most `limit` event ids whose rows are older than `before`; returns how many. */
export async function expireEventIds(db: SqlQueryable, before: Date, limit: number): Promise<number> {
  const [{ expired }]: { expired: number }[] = await db.query(
    `SELECT logpipe_expire_event_ids($1, $2) AS expired`,
    [before.toISOString(), limit],
  );
  return expired;
}

/** Event time of the oldest stored row; null when `logs` is empty. */
export async function oldestLogTime(db: SqlQueryable): Promise<Date | null> {
  const [{ oldest }]: { oldest: string | null }[] = await db.query(
    `SELECT to_json(logpipe_oldest_log_time()) #>> '{}' AS oldest`,
  );
  return oldest === null ? null : new Date(oldest);
}

/**
 * Takes the session-level lock that lets one maintenance run at a time per schema; false when another
 * session holds it. Release it on the same connection (a QueryRunner, not the pool).
 */
export async function tryMaintenanceLock(connection: SqlQueryable): Promise<boolean> {
  const [{ locked }]: { locked: boolean }[] = await connection.query(
    `SELECT pg_try_advisory_lock(hashtext(current_schema() || '.logs:maintenance')) AS locked`,
  );
  return locked;
}

export async function releaseMaintenanceLock(connection: SqlQueryable): Promise<void> {
  await connection.query(`SELECT pg_advisory_unlock(hashtext(current_schema() || '.logs:maintenance'))`);
}
