import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Lanes at the time of this migration (write-lanes.ts' LOG_WRITE_LANES; a change needs a migration). */
const LANES = 3;

/**
 * Writers in lanes (issue 14, write-lanes.ts): `logs.lane` says which of the worker's concurrent
 * writers stored a row, and `logs_message_trgm_idx` becomes one partial trigram index per lane, so the
 * writers stop sharing one GIN pending list. Existing rows are lane 0 (a constant default: no rewrite).
 *
 * The CHECK reads every existing row once, and each CREATE INDEX builds over the rows of its lane (all
 * existing rows go into lane 0's); like the index diet, plain DDL on the partitioned parent, which
 * blocks writes to `logs` while it runs: the worker waits and retries, ingest keeps queuing in Redis.
 */
export class MessageIndexPerWriteLane1796342400000 implements MigrationInterface {
  name = 'MessageIndexPerWriteLane1796342400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "logs" ADD COLUMN "lane" smallint NOT NULL DEFAULT 0`);
    await queryRunner.query(
      `ALTER TABLE "logs" ADD CONSTRAINT "logs_lane_check" CHECK ("lane" >= 0 AND "lane" < ${LANES})`,
    );
    const trgm = await this.trigramSchema(queryRunner);
    for (let lane = 0; lane < LANES; lane++) {
      await queryRunner.query(
        `CREATE INDEX "logs_message_trgm_lane${lane}_idx" ON "logs" USING gin ("message" "${trgm}".gin_trgm_ops) WHERE "lane" = ${lane}`,
      );
    }
    await queryRunner.query(`DROP INDEX "logs_message_trgm_idx"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const trgm = await this.trigramSchema(queryRunner);
    await queryRunner.query(
      `CREATE INDEX "logs_message_trgm_idx" ON "logs" USING gin ("message" "${trgm}".gin_trgm_ops)`,
    );
    for (let lane = 0; lane < LANES; lane++) {
      await queryRunner.query(`DROP INDEX "logs_message_trgm_lane${lane}_idx"`);
    }
    await queryRunner.query(`ALTER TABLE "logs" DROP CONSTRAINT "logs_lane_check"`);
    await queryRunner.query(`ALTER TABLE "logs" DROP COLUMN "lane"`);
  }

  /** Where pg_trgm is installed (an earlier migration installed it). */
  private async trigramSchema(queryRunner: QueryRunner): Promise<string> {
    const rows: { schema: string }[] = await queryRunner.query(
      `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`,
    );
    if (rows[0] === undefined) throw new Error('pg_trgm is not installed: run the migrations in order');
    return rows[0].schema;
  }
}
