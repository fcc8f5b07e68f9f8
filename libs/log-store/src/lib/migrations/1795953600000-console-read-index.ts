import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One index for the web console's reads (GET /api/logs/histogram, /api/services, /api/logs/context):
 * - (tenant, service) first: the service list is a skip scan over it, a few probes per service
 *   instead of a pass over every row; "show context" reads one service's entries in time order;
 * - then ts: a histogram of one service, or of a tenant, reads its range in order;
 * - INCLUDE (level): a histogram counts by bucket and level from the index alone (index-only scan),
 *   never touching the rows.
 * A plain CREATE INDEX on `logs` works the same on a partitioned `logs` (it cascades to every
 * partition), and nothing here depends on the other indexes.
 */
export class ConsoleReadIndex1795953600000 implements MigrationInterface {
  name = 'ConsoleReadIndex1795953600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "logs_tenant_service_ts_idx" ON "logs" ("tenant", "service", "ts") INCLUDE ("level")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "logs_tenant_service_ts_idx"`);
  }
}
