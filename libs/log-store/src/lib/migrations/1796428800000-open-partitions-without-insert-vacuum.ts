import type { MigrationInterface, QueryRunner } from 'typeorm';

const ORIGIN = `timestamptz '2001-01-01 00:00:00+00'`; // as 1795910400000: days and weeks align
const LOCK_KEY = `hashtext(current_schema() || '.logs:partitions')`;
/** The reloption, as pg_class.reloptions spells it, that marks a partition still being filled. */
const HOLD = 'autovacuum_vacuum_insert_threshold=-1';

/**
 * Issue 14: no insert-driven autovacuum on a partition while it is being filled.
 *
 * PostgreSQL vacuums an append-only table after every 1,000 + 20% more inserts
 * (autovacuum_vacuum_insert_threshold/_scale_factor), to set its visibility map and freeze it early.
 * On the partition the worker is filling, each such vacuum scans the new pages and then the whole of
 * every GIN index (their cleanup counts every page), in the middle of the COPYs: the sustained bench
 * measured the stored rate falling by more than a quarter for the ten seconds of one vacuum (BENCHMARKS.md,
 * 2026-12-06). Over a day the GIN scans add up to about six times the final index (a geometric series
 * at 20%), for a visibility map that only counts over the newest rows use (docs/store.md measures what
 * they lose without it: a day's count of one service, 127 ms instead of 20 on 1,000,000 rows).
 *
 * So a partition is created with insert-driven vacuum off (`autovacuum_vacuum_insert_threshold = -1`;
 * anti-wraparound vacuum and auto-analyze are unaffected), and the worker's maintenance job resets it
 * once the partition's range has ended (logpipe_resume_insert_vacuum): autovacuum then finds every row
 * inserted since the partition began and vacuums it once, at its usual throttled pace, while the
 * worker fills the next one. Meanwhile the job summarises the open partitions' new BRIN ranges
 * (logpipe_summarize_open_log_partitions), which vacuum used to do, so a time range without a tenant
 * still skips most of today's pages.
 *
 * Partitions already made: those whose range has not ended are held from now on; the others keep
 * autovacuum's defaults. The functions run as the owner (SECURITY DEFINER): the worker's role may not
 * alter `logs` nor summarise its indexes.
 */
export class OpenPartitionsWithoutInsertVacuum1796428800000 implements MigrationInterface {
  name = 'OpenPartitionsWithoutInsertVacuum1796428800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await this.replaceCreatePartition(queryRunner, true);
    await queryRunner.query(`
      CREATE FUNCTION logpipe_resume_insert_vacuum(p_before timestamptz)
      RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER AS $fn$
      DECLARE
        r record;
      BEGIN
        PERFORM pg_advisory_xact_lock(${LOCK_KEY});
        FOR r IN SELECT p.partition_name FROM logpipe_log_partitions() p JOIN pg_class c ON c.oid = p.partition_name::regclass
                  WHERE p.range_end <= p_before AND '${HOLD}' = ANY (c.reloptions)
                  ORDER BY p.range_start LOOP
          EXECUTE format('ALTER TABLE %I RESET (autovacuum_vacuum_insert_threshold)', r.partition_name);
          RETURN NEXT r.partition_name;
        END LOOP;
      END
      $fn$`);
    // brin_summarize_new_values reads only the ranges not yet summarised: the rows since the last run.
    await queryRunner.query(`
      CREATE FUNCTION logpipe_summarize_open_log_partitions()
      RETURNS integer LANGUAGE plpgsql SECURITY DEFINER AS $fn$
      DECLARE
        v_index regclass;
        v_ranges integer := 0;
      BEGIN
        FOR v_index IN
          SELECT ci.inhrelid::regclass FROM pg_inherits ci
            JOIN pg_index x ON x.indexrelid = ci.inhrelid
            JOIN pg_class t ON t.oid = x.indrelid
           WHERE ci.inhparent = 'logs_ts_brin_idx'::regclass AND '${HOLD}' = ANY (t.reloptions)
        LOOP
          v_ranges := v_ranges + brin_summarize_new_values(v_index);
        END LOOP;
        RETURN v_ranges;
      END
      $fn$`);
    const [{ schema }]: { schema: string }[] = await queryRunner.query('SELECT current_schema() AS schema');
    for (const fn of NEW_FUNCTIONS) {
      await queryRunner.query(`ALTER FUNCTION ${fn} SET search_path = "${schema}", pg_temp`);
      await queryRunner.query(`REVOKE EXECUTE ON FUNCTION ${fn} FROM PUBLIC`);
    }
    const open: { partition_name: string }[] = await queryRunner.query(
      `SELECT partition_name FROM logpipe_log_partitions() WHERE range_end > now() ORDER BY range_start`,
    );
    for (const { partition_name } of open)
      await queryRunner.query(`ALTER TABLE "${partition_name}" SET (${HOLD})`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Every partition still held goes back to autovacuum's defaults, through the function that does it.
    await queryRunner.query(`SELECT logpipe_resume_insert_vacuum('infinity')`);
    for (const fn of NEW_FUNCTIONS) await queryRunner.query(`DROP FUNCTION ${fn}`);
    await this.replaceCreatePartition(queryRunner, false);
  }

  /** logpipe_create_log_partition as 1795910400000 made it, optionally creating the partition held. */
  private async replaceCreatePartition(queryRunner: QueryRunner, held: boolean): Promise<void> {
    // CREATE OR REPLACE keeps the owner and the grants; its SET clauses are replaced, so the pinned
    // search_path is set again below.
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION logpipe_create_log_partition(p_ts timestamptz, p_interval interval)
      RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $fn$
      DECLARE
        v_name text;
        v_start timestamptz;
        v_end timestamptz;
      BEGIN
        PERFORM pg_advisory_xact_lock(${LOCK_KEY});
        SELECT partition_name INTO v_name FROM logpipe_log_partitions()
          WHERE p_ts >= range_start AND p_ts < range_end;
        IF FOUND THEN RETURN v_name; END IF;
        v_start := date_bin(p_interval, p_ts, ${ORIGIN});
        v_end := v_start + p_interval;
        SELECT greatest(v_start, max(range_end)) INTO v_start FROM logpipe_log_partitions() WHERE range_end <= p_ts;
        SELECT least(v_end, min(range_start)) INTO v_end FROM logpipe_log_partitions() WHERE range_start > p_ts;
        v_name := 'logs_p' || to_char(v_start AT TIME ZONE 'UTC', 'YYYYMMDD"t"HH24MISS');
        EXECUTE format('CREATE TABLE %I (LIKE logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', v_name);
        EXECUTE format('ALTER TABLE %I ALTER COLUMN message SET STATISTICS 10', v_name);
        ${held ? `EXECUTE format('ALTER TABLE %I SET (${HOLD})', v_name);` : ''}
        EXECUTE format('ALTER TABLE logs ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', v_name, v_start, v_end);
        RETURN v_name;
      END
      $fn$`);
    const [{ schema }]: { schema: string }[] = await queryRunner.query('SELECT current_schema() AS schema');
    await queryRunner.query(
      `ALTER FUNCTION logpipe_create_log_partition(timestamptz, interval) SET search_path = "${schema}", pg_temp`,
    );
  }
}

const NEW_FUNCTIONS = [
  'logpipe_resume_insert_vacuum(timestamptz)',
  'logpipe_summarize_open_log_partitions()',
];
