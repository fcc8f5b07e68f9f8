import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenants and the read side (GET /api/logs, /api/logs/tail):
 * - `tenant`, with a constant default so existing rows become tenant 'default' without a table rewrite;
 * - event ids unique per tenant (two tenants may well pick the same id), replacing the global index;
 * - indexes for the query API: newest-first keyset pages per tenant, trace lookups, substring search in
 *   `message` (pg_trgm GIN: ILIKE '%word%' without a sequential scan) and attribute equality
 *   (jsonb_path_ops GIN: `attributes @> '{"k":"v"}'`).
 * Plain CREATE INDEX (not CONCURRENTLY, which cannot run in the migration's transaction) blocks inserts
 * while it builds: on a large table the worker waits and retries meanwhile, and nothing is lost.
 */
export class AddTenantAndReadIndexes1795737600000 implements MigrationInterface {
  name = 'AddTenantAndReadIndexes1795737600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "logs" ADD "tenant" character varying(64) NOT NULL DEFAULT 'default'`,
    );
    await queryRunner.query(`DROP INDEX "logs_event_id_key"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "logs_tenant_event_id_key" ON "logs" ("tenant", "event_id") WHERE event_id IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "logs_tenant_ts_id_idx" ON "logs" ("tenant", "ts", "id")`);
    await queryRunner.query(
      `CREATE INDEX "logs_tenant_trace_id_idx" ON "logs" ("tenant", "trace_id") WHERE trace_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "logs_attributes_idx" ON "logs" USING gin ("attributes" jsonb_path_ops)`,
    );
    const trgm = await this.trigramSchema(queryRunner);
    await queryRunner.query(
      `CREATE INDEX "logs_message_trgm_idx" ON "logs" USING gin ("message" "${trgm}".gin_trgm_ops)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // pg_trgm stays: other schemas or tables of the database may use it.
    await queryRunner.query(`DROP INDEX "logs_message_trgm_idx"`);
    await queryRunner.query(`DROP INDEX "logs_attributes_idx"`);
    await queryRunner.query(`DROP INDEX "logs_tenant_trace_id_idx"`);
    await queryRunner.query(`DROP INDEX "logs_tenant_ts_id_idx"`);
    await queryRunner.query(`DROP INDEX "logs_tenant_event_id_key"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "logs_event_id_key" ON "logs" ("event_id") WHERE event_id IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "logs" DROP COLUMN "tenant"`);
  }

  /**
   * pg_trgm is installed once per database (a trusted extension since PostgreSQL 13: the database owner
   * may create it). It goes into `public` when that exists, not into the schema holding `logs`: several
   * Logpipe schemas can share one database, and dropping one of them must not take the extension, and
   * with it every other schema's trigram index, along. Where it already is, it stays.
   */
  private async trigramSchema(queryRunner: QueryRunner): Promise<string> {
    const installedIn = async (): Promise<string | undefined> => {
      const rows: { schema: string }[] = await queryRunner.query(
        `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`,
      );
      return rows[0]?.schema;
    };
    // Migrations of two schemas in one database may run at once: one installs, the other waits and reuses.
    await queryRunner.query(`SELECT pg_advisory_xact_lock(hashtext('logpipe:create-extension:pg_trgm'))`);
    const existing = await installedIn();
    if (existing !== undefined) return existing;
    const [{ target }]: { target: string }[] = await queryRunner.query(
      `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN 'public' ELSE current_schema() END AS target`,
    );
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA "${target}"`);
    return (await installedIn()) ?? target;
  }
}
