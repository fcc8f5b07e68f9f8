import type { MigrationInterface, QueryRunner } from 'typeorm';

/*
 * `logs` becomes a table partitioned by event time (`ts`, RANGE), on a live system:
 *
 * 1. Outside any lock that stops writes: a CHECK (ts < B) is added NOT VALID and then VALIDATEd (a scan
 *    under SHARE UPDATE EXCLUSIVE: inserts go on), the two unique indexes a partition needs, (id, ts) and
 *    (stream_id, ts), are built CONCURRENTLY, and the event ids already stored are copied to `log_event_ids`.
 * 2. One short transaction under ACCESS EXCLUSIVE (the only pause for writers): the event ids written
 *    meanwhile are copied, the old table is renamed to `logs_p_legacy`, the partitioned `logs` is created
 *    and the old table attached as its partition FROM (MINVALUE) TO (B). ATTACH skips its scan because
 *    the validated CHECK proves the bound, and reuses the indexes that match the parent's: no row moves.
 *
 * B is the end of the day after tomorrow (or past the newest row): rows that arrive during step 1 must
 * satisfy the CHECK, or the old worker would dead-letter them. New partitions start at B.
 * An empty old table (a fresh install) is dropped instead of attached.
 *
 * Exactly-once: a unique index on a partitioned table must contain the partition key, so (stream_id, ts)
 * still catches a redelivered stream entry (same entry, same ts), but a client retry whose `ts` is its
 * receipt time differs in `ts`. Client event ids therefore live in `log_event_ids`, one row per
 * (tenant, event_id), written in the same transaction as the rows (see log-batch.writer.ts).
 *
 * Partition management runs through SECURITY DEFINER functions owned by the migrating (owner) role, so a
 * worker role that does not own `logs` can create and drop partitions and expire rows; EXECUTE is revoked
 * from PUBLIC and must be granted to that role.
 */

const ORIGIN = `timestamptz '2001-01-01 00:00:00+00'`; // a Monday, midnight UTC: buckets of days and weeks align
const MIGRATION_LOCK_TIMEOUT_MS = 2000;
const SWITCH_ATTEMPTS = 30;

const LEGACY_INDEXES: Array<[string, string]> = [
  ['logs_ts_idx', 'logs_p_legacy_ts_idx'],
  ['logs_service_ts_idx', 'logs_p_legacy_service_ts_idx'],
  ['logs_tenant_ts_id_idx', 'logs_p_legacy_tenant_ts_id_idx'],
  ['logs_tenant_trace_id_idx', 'logs_p_legacy_tenant_trace_id_idx'],
  ['logs_attributes_idx', 'logs_p_legacy_attributes_idx'],
  ['logs_message_trgm_idx', 'logs_p_legacy_message_trgm_idx'],
];

export class PartitionLogsByTime1795910400000 implements MigrationInterface {
  name = 'PartitionLogsByTime1795910400000';
  /** Own short transactions: CREATE INDEX CONCURRENTLY cannot run inside one, and locks must not pile up. */
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    const [{ schema }]: { schema: string }[] = await queryRunner.query(`SELECT current_schema() AS schema`);
    const trgm = await this.trigramSchema(queryRunner);
    // Validating the range and building two indexes read the whole table: longer than a statement may
    // take on the hot path. None of these steps blocks writers; the switch has its own lock timeout.
    await queryRunner.query(`SET statement_timeout = 0`);
    try {
      await this.partition(queryRunner, schema, trgm);
    } finally {
      await queryRunner.query(`RESET statement_timeout`);
    }
  }

  private async partition(queryRunner: QueryRunner, schema: string, trgm: string): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS "log_event_ids" (
        "tenant" character varying(64) NOT NULL,
        "event_id" character varying(128) NOT NULL,
        "stream_id" character varying(41) NOT NULL,
        "ts" timestamptz NOT NULL,
        CONSTRAINT "log_event_ids_pkey" PRIMARY KEY ("tenant", "event_id")
      )`);
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "log_event_ids_ts_idx" ON "log_event_ids" ("ts")`);

    const [{ bound, watermark }]: { bound: string; watermark: string }[] = await queryRunner.query(`
      SELECT (date_bin('1 day', greatest(now() + interval '2 days', coalesce(max(ts), now())), ${ORIGIN})
                + interval '1 day')::text AS bound,
             coalesce(max(id), 0)::text AS watermark
      FROM logs`);
    // A run that failed after this point left the check behind (this migration has no transaction).
    await queryRunner.query(`ALTER TABLE "logs" DROP CONSTRAINT IF EXISTS "logs_legacy_range"`);
    await queryRunner.query(
      `ALTER TABLE "logs" ADD CONSTRAINT "logs_legacy_range" CHECK (ts < '${bound}'::timestamptz) NOT VALID`,
    );
    await queryRunner.query(`ALTER TABLE "logs" VALIDATE CONSTRAINT "logs_legacy_range"`);
    // CONCURRENTLY waits for every older transaction of the database to end: worth it on a table with
    // rows, needless on a fresh install (where a plain build of an empty index is instant).
    const [{ empty }]: { empty: boolean }[] = await queryRunner.query(
      `SELECT NOT EXISTS (SELECT 1 FROM "logs") AS empty`,
    );
    const concurrently = empty ? '' : 'CONCURRENTLY';
    await queryRunner.query(
      `CREATE UNIQUE INDEX ${concurrently} IF NOT EXISTS "logs_p_legacy_pkey" ON "logs" ("id", "ts")`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX ${concurrently} IF NOT EXISTS "logs_p_legacy_stream_id_ts_key" ON "logs" ("stream_id", "ts")`,
    );
    await queryRunner.query(`
      INSERT INTO "log_event_ids" (tenant, event_id, stream_id, ts)
      SELECT tenant, event_id, stream_id, ts FROM "logs" WHERE event_id IS NOT NULL AND id <= ${watermark}
      ON CONFLICT DO NOTHING`);

    await this.withShortLock(queryRunner, async () => {
      await queryRunner.query(`LOCK TABLE "logs" IN ACCESS EXCLUSIVE MODE`);
      await queryRunner.query(`
        INSERT INTO "log_event_ids" (tenant, event_id, stream_id, ts)
        SELECT tenant, event_id, stream_id, ts FROM "logs" WHERE event_id IS NOT NULL AND id > ${watermark}
        ON CONFLICT DO NOTHING`);
      const [{ has_rows, last_id }]: { has_rows: boolean; last_id: string | null }[] =
        await queryRunner.query(
          `SELECT EXISTS (SELECT 1 FROM "logs") AS has_rows,
                pg_sequence_last_value(pg_get_serial_sequence('logs', 'id'))::text AS last_id`,
        );
      await queryRunner.query(`ALTER TABLE "logs" RENAME TO "logs_p_legacy"`);
      await queryRunner.query(`ALTER TABLE "logs_p_legacy" ALTER COLUMN "id" DROP IDENTITY`);
      await queryRunner.query(`ALTER TABLE "logs_p_legacy" DROP CONSTRAINT "logs_pkey"`);
      await queryRunner.query(
        `ALTER TABLE "logs_p_legacy" ADD CONSTRAINT "logs_p_legacy_pkey" PRIMARY KEY USING INDEX "logs_p_legacy_pkey"`,
      );
      await queryRunner.query(`DROP INDEX "logs_stream_id_key"`);
      await queryRunner.query(`DROP INDEX "logs_tenant_event_id_key"`);
      for (const [from, to] of LEGACY_INDEXES)
        await queryRunner.query(`ALTER INDEX "${from}" RENAME TO "${to}"`);

      await this.createPartitionedLogs(queryRunner, trgm);
      if (last_id !== null) {
        await queryRunner.query(`ALTER TABLE "logs" ALTER COLUMN "id" RESTART WITH ${BigInt(last_id) + 1n}`);
      }
      if (has_rows) {
        await queryRunner.query(
          `ALTER TABLE "logs" ATTACH PARTITION "logs_p_legacy" FOR VALUES FROM (MINVALUE) TO ('${bound}')`,
        );
        await queryRunner.query(`ALTER TABLE "logs_p_legacy" DROP CONSTRAINT "logs_legacy_range"`);
      } else {
        await queryRunner.query(`DROP TABLE "logs_p_legacy"`);
      }
    });

    await this.createFunctions(queryRunner, schema);
  }

  /**
   * Back to one plain table. This copies every row (ACCESS EXCLUSIVE for the whole copy): a planned
   * downtime, not a live operation. Event ids come back from the rows still stored.
   */
  async down(queryRunner: QueryRunner): Promise<void> {
    const trgm = await this.trigramSchema(queryRunner);
    await queryRunner.startTransaction();
    try {
      await queryRunner.query(`SET LOCAL statement_timeout = 0`);
      await queryRunner.query(`LOCK TABLE "logs" IN ACCESS EXCLUSIVE MODE`);
      for (const fn of FUNCTION_SIGNATURES) await queryRunner.query(`DROP FUNCTION IF EXISTS ${fn}`);
      await queryRunner.query(`ALTER TABLE "logs" RENAME TO "logs_partitioned"`);
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
          "tenant" character varying(64) NOT NULL DEFAULT 'default'
        )`);
      // Keep the partitions' indexes' names free for the plain table's.
      const parts: { name: string }[] = await queryRunner.query(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'logs_partitioned'::regclass`,
      );
      await queryRunner.query(`
        INSERT INTO "logs" (id, ts, received_at, level, service, message, attributes, trace_id, span_id, event_id, stream_id, tenant)
        OVERRIDING SYSTEM VALUE
        SELECT l.id, l.ts, l.received_at, l.level, l.service, l.message, l.attributes, l.trace_id, l.span_id,
               -- A retried event whose two attempts are both stored cannot happen; the id stays on one row.
               l.event_id, l.stream_id, l.tenant
        FROM "logs_partitioned" l ORDER BY l.id`);
      const [{ next }]: { next: string }[] = await queryRunner.query(
        `SELECT (coalesce(max(id), 0) + 1)::text AS next FROM "logs"`,
      );
      await queryRunner.query(`ALTER TABLE "logs" ALTER COLUMN "id" RESTART WITH ${next}`);
      await queryRunner.query(`DROP TABLE "logs_partitioned"`);
      for (const { name } of parts) await queryRunner.query(`DROP TABLE IF EXISTS "${name}"`);
      await queryRunner.query(`DROP TABLE "log_event_ids"`);
      await queryRunner.query(`ALTER TABLE "logs" ADD CONSTRAINT "logs_pkey" PRIMARY KEY ("id")`);
      await queryRunner.query(`ALTER TABLE "logs" ALTER COLUMN "message" SET STATISTICS 10`);
      await queryRunner.query(`CREATE INDEX "logs_ts_idx" ON "logs" ("ts")`);
      await queryRunner.query(`CREATE INDEX "logs_service_ts_idx" ON "logs" ("service", "ts")`);
      await queryRunner.query(`CREATE UNIQUE INDEX "logs_stream_id_key" ON "logs" ("stream_id")`);
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
      await queryRunner.query(
        `CREATE INDEX "logs_message_trgm_idx" ON "logs" USING gin ("message" "${trgm}".gin_trgm_ops)`,
      );
      await queryRunner.commitTransaction();
    } catch (error) {
      await queryRunner.rollbackTransaction();
      throw error;
    }
  }

  /** The parent and its indexes (each index is created on every partition, now and later). */
  private async createPartitionedLogs(queryRunner: QueryRunner, trgm: string): Promise<void> {
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
        "tenant" character varying(64) NOT NULL DEFAULT 'default',
        CONSTRAINT "logs_pkey" PRIMARY KEY ("id", "ts")
      ) PARTITION BY RANGE ("ts")`);
    await queryRunner.query(`ALTER TABLE "logs" ALTER COLUMN "message" SET STATISTICS 10`);
    await queryRunner.query(`CREATE INDEX "logs_ts_idx" ON "logs" ("ts")`);
    await queryRunner.query(`CREATE INDEX "logs_service_ts_idx" ON "logs" ("service", "ts")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "logs_stream_id_ts_key" ON "logs" ("stream_id", "ts")`);
    await queryRunner.query(`CREATE INDEX "logs_tenant_ts_id_idx" ON "logs" ("tenant", "ts", "id")`);
    await queryRunner.query(
      `CREATE INDEX "logs_tenant_trace_id_idx" ON "logs" ("tenant", "trace_id") WHERE trace_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "logs_attributes_idx" ON "logs" USING gin ("attributes" jsonb_path_ops)`,
    );
    await queryRunner.query(
      `CREATE INDEX "logs_message_trgm_idx" ON "logs" USING gin ("message" "${trgm}".gin_trgm_ops)`,
    );
  }

  private async createFunctions(queryRunner: QueryRunner, schema: string): Promise<void> {
    const lockKey = `hashtext(current_schema() || '.logs:partitions')`;
    // Bounds parsed back from pg_get_expr in the same session, so the time zone it printed in does not matter.
    await queryRunner.query(`
      CREATE FUNCTION logpipe_log_partitions()
      RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz, total_bytes bigint)
      LANGUAGE sql STABLE AS $fn$
        SELECT c.relname::text,
               CASE WHEN b LIKE 'FOR VALUES FROM (MINVALUE)%' THEN '-infinity'::timestamptz
                    ELSE substring(b FROM $re$FROM \\('([^']+)'\\)$re$)::timestamptz END,
               CASE WHEN b LIKE '%TO (MAXVALUE)' THEN 'infinity'::timestamptz
                    ELSE substring(b FROM $re$TO \\('([^']+)'\\)$re$)::timestamptz END,
               pg_total_relation_size(c.oid)
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        CROSS JOIN LATERAL pg_get_expr(c.relpartbound, c.oid) AS b
        WHERE i.inhparent = 'logs'::regclass
      $fn$`);
    // CREATE TABLE then ATTACH (SHARE UPDATE EXCLUSIVE on `logs`) rather than CREATE TABLE ... PARTITION OF
    // (ACCESS EXCLUSIVE): reads and inserts into the other partitions go on meanwhile. A bucket that would
    // overlap a partition made with another interval (PARTITION_INTERVAL changed) is cut to the gap.
    await queryRunner.query(`
      CREATE FUNCTION logpipe_create_log_partition(p_ts timestamptz, p_interval interval)
      RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $fn$
      DECLARE
        v_name text;
        v_start timestamptz;
        v_end timestamptz;
      BEGIN
        PERFORM pg_advisory_xact_lock(${lockKey});
        SELECT partition_name INTO v_name FROM logpipe_log_partitions()
          WHERE p_ts >= range_start AND p_ts < range_end;
        IF FOUND THEN RETURN v_name; END IF;
        v_start := date_bin(p_interval, p_ts, ${ORIGIN});
        v_end := v_start + p_interval;
        SELECT greatest(v_start, max(range_end)) INTO v_start FROM logpipe_log_partitions() WHERE range_end <= p_ts;
        SELECT least(v_end, min(range_start)) INTO v_end FROM logpipe_log_partitions() WHERE range_start > p_ts;
        v_name := 'logs_p' || to_char(v_start AT TIME ZONE 'UTC', 'YYYYMMDD"t"HH24MISS');
        EXECUTE format('CREATE TABLE %I (LIKE logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', v_name);
        EXECUTE format('ALTER TABLE %I ALTER COLUMN message SET STATISTICS 10', v_name);
        EXECUTE format('ALTER TABLE logs ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', v_name, v_start, v_end);
        RETURN v_name;
      END
      $fn$`);
    await queryRunner.query(`
      CREATE FUNCTION logpipe_create_log_partitions(p_from timestamptz, p_to timestamptz, p_interval interval)
      RETURNS SETOF text LANGUAGE sql SECURITY DEFINER AS $fn$
        SELECT DISTINCT logpipe_create_log_partition(t, p_interval)
        FROM generate_series(date_bin(p_interval, p_from, ${ORIGIN}), p_to, p_interval) AS t
        WHERE t < p_to OR t = date_bin(p_interval, p_from, ${ORIGIN})
      $fn$`);
    // Whole partitions whose every row is older than p_before; the legacy one (MINVALUE..B) included.
    await queryRunner.query(`
      CREATE FUNCTION logpipe_drop_log_partitions(p_before timestamptz)
      RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER AS $fn$
      DECLARE
        r record;
      BEGIN
        PERFORM pg_advisory_xact_lock(${lockKey});
        FOR r IN SELECT partition_name FROM logpipe_log_partitions() WHERE range_end <= p_before ORDER BY range_start LOOP
          EXECUTE format('DROP TABLE %I', r.partition_name);
          RETURN NEXT r.partition_name;
        END LOOP;
      END
      $fn$`);
    // Per-tenant retention shorter than the partitions': at most p_limit rows per call, so no call holds
    // locks or writes WAL for long. p_except inverts the tenant list (every tenant but these).
    await queryRunner.query(`
      CREATE FUNCTION logpipe_delete_log_rows(p_tenants text[], p_except boolean, p_before timestamptz, p_limit integer)
      RETURNS integer LANGUAGE sql SECURITY DEFINER AS $fn$
        WITH doomed AS (
          SELECT id, ts FROM logs
          WHERE ts < p_before AND (CASE WHEN p_except THEN tenant <> ALL (p_tenants) ELSE tenant = ANY (p_tenants) END)
          LIMIT p_limit
        ), gone AS (
          DELETE FROM logs l USING doomed d WHERE l.id = d.id AND l.ts = d.ts RETURNING l.tenant, l.event_id
        ), forgotten AS (
          DELETE FROM log_event_ids e USING gone g WHERE e.tenant = g.tenant AND e.event_id = g.event_id
        )
        SELECT count(*)::integer FROM gone
      $fn$`);
    // Event ids are remembered as long as their rows can be: past retention they go, in bounded batches.
    await queryRunner.query(`
      CREATE FUNCTION logpipe_expire_event_ids(p_before timestamptz, p_limit integer)
      RETURNS integer LANGUAGE sql SECURITY DEFINER AS $fn$
        WITH gone AS (
          DELETE FROM log_event_ids WHERE ctid = ANY (ARRAY(
            SELECT ctid FROM log_event_ids WHERE ts < p_before LIMIT p_limit))
          RETURNING 1
        )
        SELECT count(*)::integer FROM gone
      $fn$`);
    // For the worker's metrics (age of the oldest data) without SELECT on `logs`: one row per partition's ts index.
    await queryRunner.query(`
      CREATE FUNCTION logpipe_oldest_log_time()
      RETURNS timestamptz LANGUAGE sql STABLE SECURITY DEFINER AS $fn$ SELECT min(ts) FROM logs $fn$`);
    for (const fn of FUNCTION_SIGNATURES) {
      // A definer's function must not resolve names through the caller's search_path.
      await queryRunner.query(`ALTER FUNCTION ${fn} SET search_path = "${schema}", pg_temp`);
      await queryRunner.query(`REVOKE EXECUTE ON FUNCTION ${fn} FROM PUBLIC`);
    }
  }

  /**
   * Runs `body` in one transaction whose lock waits give up after MIGRATION_LOCK_TIMEOUT_MS: a migration
   * queued behind a long read would otherwise block every writer queued behind it. Retried a while.
   */
  private async withShortLock(queryRunner: QueryRunner, body: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await queryRunner.startTransaction();
      try {
        await queryRunner.query(`SET LOCAL lock_timeout = ${MIGRATION_LOCK_TIMEOUT_MS}`);
        await body();
        await queryRunner.commitTransaction();
        return;
      } catch (error) {
        await queryRunner.rollbackTransaction();
        const code = (error as { driverError?: { code?: string }; code?: string }).driverError?.code;
        if (code !== '55P03' || attempt === SWITCH_ATTEMPTS) throw error;
      }
    }
  }

  /** Where pg_trgm lives (the earlier migration installed it). */
  private async trigramSchema(queryRunner: QueryRunner): Promise<string> {
    const rows: { schema: string }[] = await queryRunner.query(
      `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`,
    );
    if (rows.length === 0) throw new Error('pg_trgm is not installed: run the earlier migrations first');
    return rows[0].schema;
  }
}

const FUNCTION_SIGNATURES = [
  'logpipe_log_partitions()',
  'logpipe_create_log_partition(timestamptz, interval)',
  'logpipe_create_log_partitions(timestamptz, timestamptz, interval)',
  'logpipe_drop_log_partitions(timestamptz)',
  'logpipe_delete_log_rows(text[], boolean, timestamptz, integer)',
  'logpipe_expire_event_ids(timestamptz, integer)',
  'logpipe_oldest_log_time()',
];
