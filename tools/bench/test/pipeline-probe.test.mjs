// The probe's row counter against the shared test PostgreSQL: it counts what was inserted since it was
// made, and its query stays on the primary key's index on a partition without statistics, where the
// planner left to itself scans the whole partition (what every sustained step starts on: a truncated,
// not yet analysed partition).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { INDEX_ONLY_SETTINGS, openProbe, rowsAboveSql } from '../lib/pipeline-probe.mjs';

const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const schema = `bench_probe_${process.pid}`;
const ROWS = 200_000;

let admin;

/** A connection whose unqualified `logs` is this test's table. */
function schemaUrl() {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

async function insertRows(count) {
  await admin.query(
    `INSERT INTO ${schema}.logs (ts, message)
       SELECT timestamptz '2026-01-15 00:00:00+00' + n * interval '1 ms', 'row ' || n
         FROM generate_series(1, $1) AS n`,
    [count],
  );
}

/** Node types of a JSON plan, depth first. */
function nodeTypes(plan) {
  return [plan['Node Type'], ...(plan.Plans ?? []).flatMap(nodeTypes)];
}

/** The plan of the counter's query for rows above `lastId`, in this test's schema, after `settings`. */
async function planOf(settings, lastId) {
  await admin.query('BEGIN');
  try {
    await admin.query(`SET LOCAL search_path = ${schema}`);
    const results = await admin.query(
      `${settings}${settings ? '; ' : ''}EXPLAIN (FORMAT JSON) ${rowsAboveSql(lastId)}`,
    );
    const { rows } = Array.isArray(results) ? results.at(-1) : results;
    return nodeTypes(rows[0]['QUERY PLAN'][0].Plan);
  } finally {
    await admin.query('ROLLBACK');
  }
}

before(async () => {
  admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.query(`CREATE SCHEMA ${schema}`);
  // The shape the counter reads in the real table: a bigint id first in the primary key of a table
  // partitioned by time. Autovacuum stays off so nothing analyses the partition during the test.
  await admin.query(`
    CREATE TABLE ${schema}.logs (
      id bigint GENERATED ALWAYS AS IDENTITY, ts timestamptz NOT NULL, message text NOT NULL,
      PRIMARY KEY (id, ts)
    ) PARTITION BY RANGE (ts)`);
  await admin.query(`
    CREATE TABLE ${schema}.logs_p20260115 PARTITION OF ${schema}.logs
      FOR VALUES FROM ('2026-01-15 00:00:00+00') TO ('2026-01-16 00:00:00+00')
      WITH (autovacuum_enabled = false)`);
  await insertRows(ROWS);
});

after(async () => {
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.end();
});

test('without the settings the planner scans the whole unanalysed partition (what the bench did)', async () => {
  const nodes = await planOf('', ROWS - 1000);
  assert.ok(nodes.includes('Seq Scan'), `expected a sequential scan, got ${nodes.join(' > ')}`);
});

test("the counter's query reads the primary key's index on the same partition", async () => {
  const nodes = await planOf(INDEX_ONLY_SETTINGS, ROWS - 1000);
  assert.ok(!nodes.includes('Seq Scan'), `expected no sequential scan, got ${nodes.join(' > ')}`);
  assert.ok(
    nodes.some((node) => /Index/.test(node)),
    `expected an index scan, got ${nodes.join(' > ')}`,
  );
  assert.ok(!nodes.includes('Gather'), `expected no parallel workers, got ${nodes.join(' > ')}`);
});

test('the counter counts the rows inserted since it was made, across several samples', async () => {
  const probe = await openProbe({ redisUrl, databaseUrl: schemaUrl() });
  try {
    const counter = await probe.rowCounter();
    assert.equal(await counter(), 0);
    await insertRows(1234);
    assert.equal(await counter(), 1234);
    await insertRows(66);
    assert.equal(await counter(), 1300);
    assert.equal(await counter(), 1300);
  } finally {
    await probe.close();
  }
});

test('rowsAboveSql takes only integers', () => {
  assert.match(rowsAboveSql(42), /WHERE id > 42$/);
  assert.match(rowsAboveSql('9007199254740993'), /WHERE id > 9007199254740993$/);
  assert.throws(() => rowsAboveSql('1; DROP TABLE logs'));
});
