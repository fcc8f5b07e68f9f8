#!/usr/bin/env node
// Partitioned `logs` against the single table it replaced (docs/store.md "Benchmark"):
//  1. retention: removing one day of ROWS rows by dropping its partition vs DELETE of the same rows from
//     one table: wall time, WAL written (pg_current_wal_lsn() before and after; the WAL position is the
//     whole cluster's, so run it on a quiet server), table + index size afterwards;
//  2. the worker's write path into either table: the same statements as LogBatchWriter (COPY in batches
//     of BATCH rows, IN_FLIGHT batches at once; on the partitioned table in a transaction with the
//     claim of the batch's event ids), DRAIN rows of the bench payload, rows per second.
// Both schemas are built by the real migrations (the single table by migrating up and reverting the
// partitioning, which is its down migration), in two schemas of their own, dropped at the end.
//
//   node tools/bench/partitions.mjs [--rows 1000000] [--drain 200000] [--batch 1000] [--in-flight 3]
//                                   [--id-every 10] [--only drain]
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (default)
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { connect, DATABASE_URL, drainBatches, migrate, payloadBatches } from './lib/write-path.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    drain: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '1000' },
    'in-flight': { type: 'string', default: '3' },
    // Every n-th drained entry carries a client event id (0: none); `--only drain` skips the retention part.
    'id-every': { type: 'string', default: '10' },
    only: { type: 'string' },
  },
});
const ROWS = Number(args.rows);
const DRAIN = Number(args.drain);
const BATCH = Number(args.batch);
const IN_FLIGHT = Number(args['in-flight']);
const ID_EVERY = Number(args['id-every']);
const DAY = '2026-11-20';
const NEXT_DAY = '2026-11-21';
const suffix = randomBytes(3).toString('hex');
const schemas = { partitioned: `bench_parts_${suffix}`, single: `bench_single_${suffix}` };

// One day of ROWS rows plus a tenth as much on the day after, so the table is not just the day to remove.
const FILL_SQL = `
  INSERT INTO logs (tenant, ts, received_at, level, service, message, attributes, trace_id, event_id, stream_id)
  SELECT CASE WHEN i % 10 = 0 THEN 'globex' ELSE 'acme' END, t, t, 'info', 'checkout',
         'Order ' || i || ' placed for customer ' || (i % 90000) || ': ' || (i % 9 + 1) || ' items',
         jsonb_build_object('request_id', md5(i::text), 'user_id', i % 90000), md5((i / 10)::text),
         CASE WHEN i % 100 = 0 THEN 'evt-' || $3 || '-' || i END, $3 || '-' || i
  FROM generate_series(1, $1::int) AS i, LATERAL (SELECT $2::timestamptz + (i - 1) * (interval '1 day' / $1::int) AS t) AS at`;

const sizeSql = (schema) => `
  SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c
  WHERE c.relnamespace = '${schema}'::regnamespace AND c.relkind = 'r' AND c.relname LIKE 'logs%'`;

async function measured(client, statement, values = []) {
  const [{ lsn: before }] = (await client.query('SELECT pg_current_wal_lsn() AS lsn')).rows;
  const started = performance.now();
  await client.query(statement, values);
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await client.query('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint AS wal', [
    before,
  ]);
  return { seconds, walBytes: Number(rows[0].wal) };
}

async function retention() {
  const part = await connect(schemas.partitioned);
  const single = await connect(schemas.single);
  try {
    await part.query(
      `SELECT logpipe_create_log_partitions($1::timestamptz, $1::timestamptz + interval '2 days', '1 day')`,
      [DAY],
    );
    for (const client of [part, single]) {
      await client.query(FILL_SQL, [ROWS, DAY, 'd']);
      await client.query(FILL_SQL, [Math.round(ROWS / 10), NEXT_DAY, 'n']);
      await client.query('VACUUM ANALYZE logs');
      await client.query('CHECKPOINT').catch(() => undefined);
    }
    const sizeBefore = {
      partitioned: Number((await part.query(sizeSql(schemas.partitioned))).rows[0].bytes),
      single: Number((await single.query(sizeSql(schemas.single))).rows[0].bytes),
    };
    const drop = await measured(
      part,
      `SELECT logpipe_drop_log_partitions($1::timestamptz + interval '1 day')`,
      [DAY],
    );
    const del = await measured(
      single,
      `DELETE FROM logs WHERE ts >= $1::timestamptz AND ts < $1::timestamptz + interval '1 day'`,
      [DAY],
    );
    const sizeAfter = {
      partitioned: Number((await part.query(sizeSql(schemas.partitioned))).rows[0].bytes),
      single: Number((await single.query(sizeSql(schemas.single))).rows[0].bytes),
    };
    const vacuum = await measured(single, 'VACUUM logs');
    const sizeAfterVacuum = Number((await single.query(sizeSql(schemas.single))).rows[0].bytes);
    const left = {
      partitioned: Number((await part.query('SELECT count(*) AS n FROM logs')).rows[0].n),
      single: Number((await single.query('SELECT count(*) AS n FROM logs')).rows[0].n),
    };
    return { drop, delete: del, vacuumAfterDelete: vacuum, sizeBefore, sizeAfter, sizeAfterVacuum, left };
  } finally {
    await part.end();
    await single.end();
  }
}

async function drain(kind) {
  const schema = schemas[kind];
  const partitioned = kind === 'partitioned';
  const setup = await connect(schema);
  await setup.query('TRUNCATE logs');
  if (partitioned) {
    await setup.query('TRUNCATE log_event_ids');
    await setup.query(
      `SELECT logpipe_create_log_partitions(now() - interval '1 day', now() + interval '1 day', '1 day')`,
    );
  }
  await setup.end();
  const batches = payloadBatches({ count: DRAIN, batchSize: BATCH, idEvery: ID_EVERY, tag: kind });
  return drainBatches(schema, batches, { inFlight: IN_FLIGHT, claimEventIds: partitioned });
}

const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;

async function main() {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    for (const schema of Object.values(schemas)) await admin.query(`CREATE SCHEMA ${schema}`);
    await migrate(schemas.partitioned, 'migration:run');
    await migrate(schemas.single, 'migration:run');
    // Today's single table: revert every migration from the partitioning on (the later ones first).
    const kindOfLogs = async () =>
      (await admin.query(`SELECT relkind FROM pg_class WHERE oid = '${schemas.single}.logs'::regclass`))
        .rows[0].relkind;
    while ((await kindOfLogs()) === 'p') await migrate(schemas.single, 'migration:revert');
    console.log(
      `schemas ${schemas.partitioned} (partitioned by day) and ${schemas.single} (one table) migrated`,
    );

    if (args.only !== 'drain') {
      const r = await retention();
      console.log(`\nRemoving one day of ${ROWS} rows (${ROWS / 10} rows of the next day stay):`);
      console.log(
        `  DROP of its partition: ${r.drop.seconds.toFixed(3)} s, WAL ${mb(r.drop.walBytes)}, logs afterwards ${mb(r.sizeAfter.partitioned)} (before ${mb(r.sizeBefore.partitioned)})`,
      );
      console.log(
        `  DELETE from one table: ${r.delete.seconds.toFixed(3)} s, WAL ${mb(r.delete.walBytes)}, logs afterwards ${mb(r.sizeAfter.single)} (before ${mb(r.sizeBefore.single)}); VACUUM then ${r.vacuumAfterDelete.seconds.toFixed(3)} s, WAL ${mb(r.vacuumAfterDelete.walBytes)}, size ${mb(r.sizeAfterVacuum)}`,
      );
      console.log(`  rows left: partitioned ${r.left.partitioned}, one table ${r.left.single}`);
    }

    const single = await drain('single');
    const part = await drain('partitioned');
    const ids = ID_EVERY > 0 ? `1 in ${ID_EVERY} with an event id` : 'no event ids';
    console.log(`\nWrite path, ${DRAIN} rows (${ids}), batches of ${BATCH}, ${IN_FLIGHT} in flight:`);
    console.log(`  one table:   ${single.seconds.toFixed(2)} s = ${Math.round(single.rowsPerS)} rows/s`);
    console.log(
      `  partitioned: ${part.seconds.toFixed(2)} s = ${Math.round(part.rowsPerS)} rows/s (COPY + event-id claim per batch, one transaction)`,
    );
  } finally {
    for (const schema of Object.values(schemas)) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
