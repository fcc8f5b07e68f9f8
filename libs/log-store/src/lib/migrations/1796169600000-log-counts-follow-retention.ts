import type { MigrationInterface, QueryRunner } from 'typeorm';

const BUCKET = `date_bin('5 minutes', ts, timestamptz '1970-01-01 00:00:00+00')`;
const LOCK_KEY = `hashtext(current_schema() || '.logs:partitions')`;

/**
 * Keeps `log_counts` (the console histogram's rollup) equal to what `logs` holds when data leaves it,
 * and puts the rollup behind the same walls as `logs`:
 * - dropping a partition (retention) also drops the counts of its time range; a bounded per-tenant
 *   DELETE (TENANT_RETENTION) subtracts what it removed, through a statement-level AFTER DELETE trigger;
 * - the counting triggers run as the owner (SECURITY DEFINER), so the worker's role needs no privilege
 *   on `log_counts` and cannot change counts by itself;
 * - row-level security on `tenant`, as on `logs`: the reader sees only the counts of the tenant its
 *   transaction names.
 */
export class LogCountsFollowRetention1796169600000 implements MigrationInterface {
  name = 'LogCountsFollowRetention1796169600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER FUNCTION "log_counts_add"() SECURITY DEFINER`);
    await queryRunner.query(`
      CREATE FUNCTION "log_counts_subtract"() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
      SET search_path FROM CURRENT AS $$
      BEGIN
        UPDATE log_counts c SET count = c.count - d.n
          FROM (SELECT tenant, ${BUCKET} AS bucket, service, level, count(*) AS n
                  FROM removed GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4) d
         WHERE c.tenant = d.tenant AND c.bucket = d.bucket AND c.service = d.service AND c.level = d.level;
        DELETE FROM log_counts c
         USING (SELECT DISTINCT tenant, ${BUCKET} AS bucket, service, level FROM removed) d
         WHERE c.tenant = d.tenant AND c.bucket = d.bucket AND c.service = d.service AND c.level = d.level
           AND c.count <= 0;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER "logs_count_deletes" AFTER DELETE ON "logs"
        REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION "log_counts_subtract"()`);
    await this.replaceDropPartitions(queryRunner, true);
    await queryRunner.query(`ALTER TABLE "log_counts" ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(
      `CREATE POLICY "log_counts_tenant_read" ON "log_counts" FOR SELECT TO PUBLIC
         USING ("tenant" = current_setting('logpipe.tenant', true))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP POLICY "log_counts_tenant_read" ON "log_counts"`);
    await queryRunner.query(`ALTER TABLE "log_counts" DISABLE ROW LEVEL SECURITY`);
    await this.replaceDropPartitions(queryRunner, false);
    await queryRunner.query(`DROP TRIGGER "logs_count_deletes" ON "logs"`);
    await queryRunner.query(`DROP FUNCTION "log_counts_subtract"()`);
    await queryRunner.query(`ALTER FUNCTION "log_counts_add"() SECURITY INVOKER`);
  }

  /** logpipe_drop_log_partitions as 1795910400000 made it, optionally also dropping the range's counts. */
  private async replaceDropPartitions(queryRunner: QueryRunner, withCounts: boolean): Promise<void> {
    // CREATE OR REPLACE keeps the owner and the grants; its SET clauses are replaced, so the pinned
    // search_path is set again below.
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION logpipe_drop_log_partitions(p_before timestamptz)
      RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER AS $fn$
      DECLARE
        r record;
      BEGIN
        PERFORM pg_advisory_xact_lock(${LOCK_KEY});
        FOR r IN SELECT partition_name, range_start, range_end FROM logpipe_log_partitions()
                  WHERE range_end <= p_before ORDER BY range_start LOOP
          EXECUTE format('DROP TABLE %I', r.partition_name);
          ${withCounts ? 'DELETE FROM log_counts WHERE bucket >= r.range_start AND bucket < r.range_end;' : ''}
          RETURN NEXT r.partition_name;
        END LOOP;
      END
      $fn$`);
    const [{ schema }]: { schema: string }[] = await queryRunner.query('SELECT current_schema() AS schema');
    await queryRunner.query(
      `ALTER FUNCTION logpipe_drop_log_partitions(timestamptz) SET search_path = "${schema}", pg_temp`,
    );
  }
}
