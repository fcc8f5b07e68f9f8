import type { MigrationInterface, QueryRunner } from 'typeorm';

const LOCK_KEY = `hashtext(current_schema() || '.logs:partitions')`;
/** The reloption, as pg_class.reloptions spells it, that holds a partition from insert-driven autovacuum. */
const HOLD = 'autovacuum_vacuum_insert_threshold=-1';
const FUNCTION = 'logpipe_set_insert_vacuum_hold(text[], boolean)';

/**
 * Issue 14: a partition is held from insert-driven autovacuum while it takes rows, whatever its range.
 *
 * Migration 1796428800000 held a partition until its range ended. But a partition whose range has
 * ended can still be filled fast: shippers flush what they buffered during an outage, a backlog is
 * replayed, old logs are imported. Handed back to autovacuum, such a partition is vacuumed after every
 * 20% of growth, each time scanning its GIN indexes whole, in the middle of the COPYs (BENCHMARKS.md,
 * 2026-12-06 21:45: the sustained bench's 60 s steps, whose rows are dated 2026-01-15, met those
 * vacuums; 20 s probes did not).
 *
 * So the worker's maintenance job now decides per partition, from the rows PostgreSQL counted inserted
 * into it (pg_stat_user_tables.n_tup_ins) between two of its runs, and calls this function to hold
 * (p_hold true) or hand back (false) the partitions it names. It returns the partitions it changed;
 * one it cannot lock within the caller's lock_timeout (an anti-wraparound vacuum, a long ANALYZE) is
 * left as it is for the next run. Holding cancels an insert-driven vacuum under way: autovacuum yields
 * to the lock request. SECURITY DEFINER as the other partition functions: only the owner may alter
 * `logs`'s partitions.
 */
export class HoldPartitionsWhileTheyFill1796472000000 implements MigrationInterface {
  name = 'HoldPartitionsWhileTheyFill1796472000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION logpipe_set_insert_vacuum_hold(p_partitions text[], p_hold boolean)
      RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER AS $fn$
      DECLARE
        r record;
      BEGIN
        PERFORM pg_advisory_xact_lock(${LOCK_KEY});
        FOR r IN SELECT p.partition_name FROM logpipe_log_partitions() p JOIN pg_class c ON c.oid = p.partition_name::regclass
                  WHERE p.partition_name = ANY (p_partitions)
                    AND coalesce('${HOLD}' = ANY (c.reloptions), false) IS DISTINCT FROM p_hold
                  ORDER BY p.range_start LOOP
          BEGIN
            IF p_hold THEN
              EXECUTE format('ALTER TABLE %I SET (${HOLD})', r.partition_name);
            ELSE
              EXECUTE format('ALTER TABLE %I RESET (autovacuum_vacuum_insert_threshold)', r.partition_name);
            END IF;
            RETURN NEXT r.partition_name;
          EXCEPTION WHEN lock_not_available THEN
            NULL; -- left for the next run
          END;
        END LOOP;
      END
      $fn$`);
    const [{ schema }]: { schema: string }[] = await queryRunner.query('SELECT current_schema() AS schema');
    await queryRunner.query(`ALTER FUNCTION ${FUNCTION} SET search_path = "${schema}", pg_temp`);
    await queryRunner.query(`REVOKE EXECUTE ON FUNCTION ${FUNCTION} FROM PUBLIC`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION ${FUNCTION}`);
  }
}
