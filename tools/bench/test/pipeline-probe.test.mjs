// The probe's row counter against the shared test PostgreSQL, on a schema built by the real migrations:
// it counts the rows stored since it was made (a batch when it commits, a refused duplicate never), and
// its query reads the `log_counts` rollup, not `logs`, so sampling it every second costs the same on a
// table of any size. Its first version range-scanned an index on `id` that a later migration took away,
// and its own test, on a hand-made table that still had that index, did not notice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openProbe, STORED_ROWS_SQL } from '../lib/pipeline-probe.mjs';
import {
  DATABASE_URL,
  emptyLogs,
  payloadBatches,
  withMigratedSchema,
  writeBatch,
} from '../lib/write-path.mjs';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const schema = `bench_probe_${process.pid}`;

/** A connection string whose unqualified tables are this test's schema's. */
function schemaUrl() {
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** Node types of a JSON plan, depth first, each with the relation it reads when it reads one. */
function nodesOf(plan) {
  const self = plan['Relation Name'] ? `${plan['Node Type']} on ${plan['Relation Name']}` : plan['Node Type'];
  return [self, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

/** Writes `count` rows of the bench payload the worker's way (COPY batches of 500), tagged `tag`. */
async function storeRows(client, count, tag) {
  for (const batch of payloadBatches({ count, batchSize: 500, idEvery: 0, tag }))
    await writeBatch(
      client,
      batch.map((entry) => ({ ...entry, streamId: `${tag}-${entry.streamId}` })),
    );
}

test('the row counter, on the migrated schema', async (t) => {
  await withMigratedSchema(schema, async (client) => {
    await emptyLogs(client);
    await storeRows(client, 3000, 'before');
    const probe = await openProbe({ redisUrl, databaseUrl: schemaUrl() });
    try {
      await t.test('counts the rows stored since it was made, across several samples', async () => {
        const counter = await probe.rowCounter();
        assert.equal(await counter(), 0);
        await storeRows(client, 1234, 'first');
        assert.equal(await counter(), 1234);
        await storeRows(client, 66, 'second');
        assert.equal(await counter(), 1300);
        assert.equal(await counter(), 1300);
        assert.equal(await probe.rowCount(), 3000 + 1300, 'count(*) of logs agrees');
      });

      await t.test('counts a batch when it commits, and not at all when it rolls back', async () => {
        const counter = await probe.rowCounter();
        await client.query('BEGIN');
        await storeRows(client, 500, 'uncommitted');
        assert.equal(await counter(), 0, 'rows of an open transaction are not stored yet');
        await client.query('ROLLBACK');
        assert.equal(await counter(), 0);
        await client.query('BEGIN');
        await storeRows(client, 500, 'committed');
        await client.query('COMMIT');
        assert.equal(await counter(), 500);
      });

      await t.test('does not count the duplicates the worker refuses on redelivery', async () => {
        const counter = await probe.rowCounter();
        const [batch] = payloadBatches({ count: 200, batchSize: 200, idEvery: 0, tag: 'redelivered' });
        // The worker's way with a batch whose COPY hit the primary key: the same rows, ON CONFLICT DO NOTHING.
        const insertSkippingStored = () =>
          client.query(
            `INSERT INTO logs (ts, received_at, level, service, message, stream_id, tenant)
             SELECT ts, ts, 'info', 'svc', 'm', stream_id, 'acme'
               FROM unnest($1::timestamptz[], $2::text[]) AS r(ts, stream_id)
             ON CONFLICT DO NOTHING`,
            [batch.map((e) => e.ts), batch.map((e) => `again-${e.streamId}`)],
          );
        await insertSkippingStored();
        assert.equal(await counter(), 200);
        await insertSkippingStored();
        assert.equal(await counter(), 200, 'the second insert of the same stream positions stored nothing');
      });

      await t.test("the counter's query reads the rollup, never logs or its partitions", async () => {
        const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${STORED_ROWS_SQL}`);
        const nodes = nodesOf(rows[0]['QUERY PLAN'][0].Plan);
        assert.ok(
          nodes.some((node) => node.endsWith(' on log_counts')),
          `expected a scan of log_counts, got ${nodes.join(' > ')}`,
        );
        assert.ok(
          !nodes.some((node) => / on logs/.test(node)),
          `expected nothing read from logs, got ${nodes.join(' > ')}`,
        );
      });
    } finally {
      await probe.close();
    }
  });
});
