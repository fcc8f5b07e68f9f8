import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `stream_id` holds a chunk entry's position (issue 14): `<stream id>#<index in the chunk>`, qualified by
 * its shard when sharded. `s63:` + a 13-digit time, `-`, a sequence of up to 20 digits and `#499` is 42
 * characters, past the 41 a single stream id needed. Widening a varchar is metadata-only in PostgreSQL
 * (no table rewrite, no index rebuild: the types are binary-coercible), and an ALTER on partitioned `logs`
 * reaches every partition; it holds an ACCESS EXCLUSIVE lock only for the catalog update.
 */
export class WidenStreamId1796299200000 implements MigrationInterface {
  name = 'WidenStreamId1796299200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "logs" ALTER COLUMN "stream_id" TYPE character varying(64)`);
    await queryRunner.query(
      `ALTER TABLE "log_event_ids" ALTER COLUMN "stream_id" TYPE character varying(64)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Narrowing rewrites and fails while a chunk entry's longer id is stored: expected of a down migration.
    await queryRunner.query(
      `ALTER TABLE "log_event_ids" ALTER COLUMN "stream_id" TYPE character varying(41)`,
    );
    await queryRunner.query(`ALTER TABLE "logs" ALTER COLUMN "stream_id" TYPE character varying(41)`);
  }
}
