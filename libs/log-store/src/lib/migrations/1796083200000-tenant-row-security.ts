import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Row-level security on `tenant`: a second wall behind the query API's tenant filter. A role that is
 * subject to RLS (neither the table's owner nor BYPASSRLS) sees only the rows of the tenant named by the
 * `logpipe.tenant` setting, which libs/log-query sets per transaction; with the setting missing it sees
 * nothing. The policy is for PUBLIC rather than for the reader role by name: roles are cluster-wide and
 * set up outside the migrations (docs/operations.md, "Database roles"), and any role later given SELECT
 * is held to the same rule. There is no INSERT/UPDATE/DELETE policy, so such a role cannot write either.
 *
 * Who is not subject to it: the owner (runs the migrations), and the worker's role, which has BYPASSRLS
 * because it must store every tenant's rows and PostgreSQL refuses COPY FROM for a role under RLS.
 *
 * Policies and ENABLE ROW LEVEL SECURITY on a partitioned `logs` work the same: they belong to the
 * parent and apply to every query through it; a partition itself grants nothing to the reader, so the
 * reader can only read through the parent.
 */
export class TenantRowSecurity1796083200000 implements MigrationInterface {
  name = 'TenantRowSecurity1796083200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "logs" ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(
      `CREATE POLICY "logs_tenant_read" ON "logs" FOR SELECT TO PUBLIC
         USING ("tenant" = current_setting('logpipe.tenant', true))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP POLICY "logs_tenant_read" ON "logs"`);
    await queryRunner.query(`ALTER TABLE "logs" DISABLE ROW LEVEL SECURITY`);
  }
}
