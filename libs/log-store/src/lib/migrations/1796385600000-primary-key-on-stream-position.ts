import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14's table diet, second step: the primary key of `logs` moves from `(id, ts)` to
 * `(stream_id, ts)`, the key the write path already needed unique (a redelivered batch fails COPY on it
 * and is stored once by the ON CONFLICT insert, log-batch.writer.ts), and the separate unique index
 * `logs_stream_id_ts_key` goes. One B-tree fewer on every row the worker stores: the `(id, ts)` index
 * served no read (the keyset cursor's tie-break reads `id` through `logs_tenant_ts_id_idx
 * (tenant, ts, id)`, and nothing looks a row up by `id`). `id` stays, an identity column: unique because
 * the sequence hands each value out once, as before. Measured with tools/bench/index-diet.mjs
 * (docs/store.md, "Index diet").
 *
 * Plain DDL on the partitioned parent, as the earlier diet: the new key is built over every partition
 * (about 1.2 million rows a second on the 2-core machine) and blocks writes to `logs` meanwhile; the
 * worker waits and retries, ingest keeps queuing in Redis. Redeliveries stay refused throughout: the old
 * unique index is dropped only after the new key exists, in the same transaction.
 */
export class PrimaryKeyOnStreamPosition1796385600000 implements MigrationInterface {
  name = 'PrimaryKeyOnStreamPosition1796385600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "logs" DROP CONSTRAINT "logs_pkey"`);
    await queryRunner.query(`ALTER TABLE "logs" ADD CONSTRAINT "logs_pkey" PRIMARY KEY ("stream_id", "ts")`);
    await queryRunner.query(`DROP INDEX "logs_stream_id_ts_key"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE UNIQUE INDEX "logs_stream_id_ts_key" ON "logs" ("stream_id", "ts")`);
    await queryRunner.query(`ALTER TABLE "logs" DROP CONSTRAINT "logs_pkey"`);
    await queryRunner.query(`ALTER TABLE "logs" ADD CONSTRAINT "logs_pkey" PRIMARY KEY ("id", "ts")`);
  }
}
