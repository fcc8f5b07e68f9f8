import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14's table diet: every index of `logs` is paid for on each row the worker stores, so each must
 * serve a query the read API runs (libs/log-query, pinned by log-query.plans.integration-spec.ts), and
 * the cheapest index that serves it wins. Measured with tools/bench/index-diet.mjs (docs/store.md).
 *
 * - `logs_service_ts_idx (service, ts)` goes: every read filters by tenant (the API key's), and
 *   `logs_tenant_service_ts_idx (tenant, service, ts) INCLUDE (level)` serves each read that filters
 *   by service. Nothing reads along (service, ts) alone.
 * - `logs_ts_idx (ts)`, a B-tree, becomes `logs_ts_brin_idx`, a BRIN: the tenant's time-ordered reads
 *   (pages, ranges, counts) go along `logs_tenant_ts_id_idx (tenant, ts, id)`; what is left for an index
 *   on time alone is a range without a tenant (retention of "every tenant but these", people's own psql
 *   or Grafana queries), which a BRIN serves: rows arrive in time order, so a few hundred bytes per
 *   partition summarise it, against a B-tree entry per row. A BRIN cannot give min(ts), so
 *   logpipe_oldest_log_time() (the worker's metric) now finds each tenant's oldest row along
 *   (tenant, ts, id), skipping from tenant to tenant.
 * - The GIN indexes keep fast update with the default pending list (4 MB): without it each row's
 *   trigrams go straight into the tree (about ten times slower in the measurement), and a larger list
 *   only defers the merge to autovacuum while every search reads the list linearly meanwhile.
 *
 * Plain DROP/CREATE INDEX on the partitioned parent (they reach every partition); the BRIN build is one
 * pass over each partition, short next to a B-tree build.
 */
export class IndexDiet1796256000000 implements MigrationInterface {
  name = 'IndexDiet1796256000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "logs_service_ts_idx"`);
    await queryRunner.query(`DROP INDEX "logs_ts_idx"`);
    await queryRunner.query(`CREATE INDEX "logs_ts_brin_idx" ON "logs" USING brin ("ts")`);
    // CREATE OR REPLACE keeps the function's owner, SECURITY DEFINER and search_path only when they are
    // given again, so they are.
    const [{ schema }]: { schema: string }[] = await queryRunner.query(`SELECT current_schema() AS schema`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION logpipe_oldest_log_time()
      RETURNS timestamptz LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "${schema}", pg_temp AS $fn$
        WITH RECURSIVE tenants AS (
          (SELECT tenant FROM logs ORDER BY tenant LIMIT 1)
          UNION ALL
          SELECT (SELECT l.tenant FROM logs l WHERE l.tenant > t.tenant ORDER BY l.tenant LIMIT 1)
            FROM tenants t WHERE t.tenant IS NOT NULL
        )
        SELECT min((SELECT l.ts FROM logs l WHERE l.tenant = t.tenant ORDER BY l.ts LIMIT 1))
          FROM tenants t WHERE t.tenant IS NOT NULL
      $fn$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const [{ schema }]: { schema: string }[] = await queryRunner.query(`SELECT current_schema() AS schema`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION logpipe_oldest_log_time()
      RETURNS timestamptz LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "${schema}", pg_temp
      AS $fn$ SELECT min(ts) FROM logs $fn$`);
    await queryRunner.query(`DROP INDEX "logs_ts_brin_idx"`);
    await queryRunner.query(`CREATE INDEX "logs_ts_idx" ON "logs" ("ts")`);
    await queryRunner.query(`CREATE INDEX "logs_service_ts_idx" ON "logs" ("service", "ts")`);
  }
}
