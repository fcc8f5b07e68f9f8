import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateLogsTable1795651200000 implements MigrationInterface {
  name = 'CreateLogsTable1795651200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "logs" (
        "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
        "ts" timestamptz NOT NULL,
        "received_at" timestamptz NOT NULL,
        "level" character varying(5) NOT NULL,
        "service" character varying(128) NOT NULL,
        "message" text NOT NULL,
        "attributes" jsonb,
        "trace_id" character varying(32),
        "span_id" character varying(16),
        "event_id" character varying(128),
        "stream_id" character varying(41) NOT NULL,
        CONSTRAINT "logs_pkey" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE INDEX "logs_ts_idx" ON "logs" ("ts")`);
    await queryRunner.query(`CREATE INDEX "logs_service_ts_idx" ON "logs" ("service", "ts")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "logs_stream_id_key" ON "logs" ("stream_id")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "logs_event_id_key" ON "logs" ("event_id") WHERE event_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "logs"`);
  }
}
