#!/usr/bin/env node
// Issue 14's worker levers for the drain, measured on the real table: COPY text (today) against COPY
// binary, the data sent with the statement (one round trip per batch instead of two), the event-id
// claim's transaction, the batch size, and the `log_counts` trigger's share, each against `psql \copy`
// of the same rows into the same table (issue 14: worker >= 90% of \copy). One schema built by the real
// migrations; variants run alternately, ROUNDS times, on an emptied table; medians with min–max.
//
// Besides rows/s it reports the CPU per row of the PostgreSQL backends that did the writing (read from
// /proc/<pid>/schedstat, so PostgreSQL must run on this machine) and of this process (encoding and the
// driver): the drain is bound by PostgreSQL's core, and CPU per row moves far less with the machine's
// other load than rows/s.
//
//   node tools/bench/copy-format.mjs [--rows 100000] [--rounds 5] [--batch 1000] [--in-flight 3]
//                                    [--variants text,binary,...]
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (default)
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DASH, fixed, int, medianRange } from './lib/format.mjs';
import { loadAverage } from './lib/machine.mjs';
import { summarize } from './lib/stats.mjs';
import {
  chosenVariants,
  copyBinary,
  copyText,
  drainBatches,
  emptyLogs,
  payloadBatches,
  psqlCopy,
  withMigratedSchema,
} from './lib/write-path.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '1000' },
    'in-flight': { type: 'string', default: '3' },
    variants: { type: 'string' },
  },
});
const ROWS = Number(args.rows);
const ROUNDS = Number(args.rounds);
const BATCH = Number(args.batch);
const IN_FLIGHT = Number(args['in-flight']);
const schema = `bench_copyfmt_${randomBytes(3).toString('hex')}`;
let interrupted = null;
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => (interrupted = signal));

/**
 * kind: 'worker' (batches, IN_FLIGHT connections), 'one-copy' (every row in one COPY statement from
 * Node, what \copy does), 'psql' (\copy of a file). rows: 'plain' (no event ids, as the bench), 'ids'
 * (every tenth row has one: BEGIN, COPY, claim, COMMIT) or 'all ids' (every row has one, as from a shipper
 * that sets them). noTrigger: log_counts' trigger off.
 * batch / inFlight: other than --batch / --in-flight.
 */
const BARE = 'bench_bare_logs';
/** The worker's path, plain rows in text COPY, with more of drainBatches' `write` options. */
const textBatches = (write) => ({ kind: 'worker', rows: 'plain', write: { format: 'text', ...write } });
const LANES = ['bench_lane_logs_0', 'bench_lane_logs_1', 'bench_lane_logs_2'];
const LANES_NO_GIN = ['bench_lane_nogin_logs_0', 'bench_lane_nogin_logs_1', 'bench_lane_nogin_logs_2'];
const VARIANTS = {
  'text (today)': { kind: 'worker', rows: 'plain', write: { format: 'text' } },
  binary: { kind: 'worker', rows: 'plain', write: { format: 'binary' } },
  'text pipelined': { kind: 'worker', rows: 'plain', write: { format: 'text', pipelined: true } },
  'binary pipelined': { kind: 'worker', rows: 'plain', write: { format: 'binary', pipelined: true } },
  'text + event ids 1 in 10': { kind: 'worker', rows: 'ids', write: { format: 'text' } },
  // The claim before the COPY: log_counts' trigger runs at the COPY's end and holds the current bucket's
  // count rows until COMMIT, so the claim after it makes the other batches in flight wait (sampled in
  // pg_stat_activity under the sustained load: Lock/transactionid). Measured 2026-12-01: no difference.
  'text + event ids 1 in 10 (claim first)': {
    kind: 'worker',
    rows: 'ids',
    write: { format: 'text', claimFirst: true },
  },
  'text + event ids on every row': { kind: 'worker', rows: 'all ids', write: { format: 'text' } },
  'text + event ids on every row (claim first)': {
    kind: 'worker',
    rows: 'all ids',
    write: { format: 'text', claimFirst: true },
  },
  'text batches of 5000': { kind: 'worker', rows: 'plain', batch: 5000, write: { format: 'text' } },
  // GIN's pending-list merge, run by the inserting backend when the list passes 4 MB, collects the
  // entries in work_mem (4 MB by default) before writing them into the tree.
  'text work_mem 64MB': {
    kind: 'worker',
    rows: 'plain',
    settings: '-c work_mem=64MB',
    write: { format: 'text' },
  },
  'text 1 in flight': { kind: 'worker', rows: 'plain', inFlight: 1, write: { format: 'text' } },
  'text 2 in flight': { kind: 'worker', rows: 'plain', inFlight: 2, write: { format: 'text' } },
  'binary 1 in flight': { kind: 'worker', rows: 'plain', inFlight: 1, write: { format: 'binary' } },
  'text no log_counts trigger': {
    kind: 'worker',
    rows: 'plain',
    noTrigger: true,
    write: { format: 'text' },
  },
  // The input side alone: a plain table LIKE logs without its indexes, partitions or trigger, where
  // parsing the values is most of the work.
  'text into a bare table': { kind: 'worker', rows: 'plain', write: { format: 'text', table: BARE } },
  'binary into a bare table': { kind: 'worker', rows: 'plain', write: { format: 'binary', table: BARE } },
  // Writers sharing one table against one table each (issue 14, the store's per-row cost under
  // concurrency): copies of `logs` (LIKE ... INCLUDING ALL: its columns and every index, GIN included, but
  // no partitions and no trigger), so the only difference between the two is whether the in-flight COPYs
  // meet in the same indexes (sharing, all in lane 0, so in one trigram index too; each its own, in whole
  // tables of its own: what sub-partitions per writer would give, an upper bound for the lanes).
  // `without GIN`: the same pair with the GIN indexes dropped (the heap's and the B-trees' share).
  'text: writers share one copy of logs': textBatches({ table: LANES[0], oneLane: true }),
  'text: each writer its own copy of logs': textBatches({ tables: LANES }),
  'text: writers share one copy of logs without GIN': textBatches({ table: LANES_NO_GIN[0], oneLane: true }),
  'text: each writer its own copy of logs without GIN': textBatches({ tables: LANES_NO_GIN }),
  // Write lanes (libs/log-store's write-lanes.ts): 'text (today)' writes each connection's batches in its
  // own lane, as the worker does; this one puts every writer in lane 0, so they share one trigram index's
  // pending list, as all writers did before the lanes.
  'text: every writer in lane 0 (before write lanes)': textBatches({ oneLane: true }),
  'one COPY of all rows (text)': { kind: 'one-copy', rows: 'plain', write: { format: 'text' } },
  'psql \\copy text': { kind: 'psql', rows: 'plain' },
  'psql \\copy binary': { kind: 'psql', rows: 'plain', format: 'binary' },
};

async function reset(client) {
  await client.query(`CREATE TABLE IF NOT EXISTS ${BARE} (LIKE logs INCLUDING DEFAULTS INCLUDING IDENTITY)`);
  for (const table of [...LANES, ...LANES_NO_GIN]) {
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (LIKE logs INCLUDING ALL)`);
  }
  const gin = await client.query(
    `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY($1) AND indexdef LIKE '% USING gin %'`,
    [LANES_NO_GIN],
  );
  for (const { indexname } of gin.rows) await client.query(`DROP INDEX ${indexname}`);
  await client.query(`TRUNCATE ${[BARE, ...LANES, ...LANES_NO_GIN].join(', ')}`);
  await emptyLogs(client);
}

const microseconds = (value) => fixed(value, 1);

async function main() {
  const names = chosenVariants(args.variants, VARIANTS);
  const loadBefore = loadAverage();
  await withMigratedSchema(schema, async (client, dir) => {
    const rows = {
      plain: payloadBatches({ count: ROWS, batchSize: BATCH, idEvery: 0, tag: 'fmt' }),
      ids: payloadBatches({ count: ROWS, batchSize: BATCH, idEvery: 10, tag: 'fmt' }),
      'all ids': payloadBatches({ count: ROWS, batchSize: BATCH, idEvery: 1, tag: 'fmt' }),
    };
    const all = rows.plain.flat();
    const files = { text: join(dir, 'rows.copy'), binary: join(dir, 'rows.bin') };
    writeFileSync(files.text, copyText(all));
    writeFileSync(files.binary, copyBinary(all));
    console.log(
      `schema ${schema}; ${ROWS} rows of the bench payload; worker path: batches of ${BATCH}, ${IN_FLIGHT} in flight. ` +
        `${ROUNDS} rounds, variants alternating. Load average before: ${loadBefore.join(' ')}`,
    );
    const results = Object.fromEntries(names.map((name) => [name, { rowsPerS: [], pg: [], client: [] }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        if (interrupted) throw new Error(`${interrupted}: stopped`);
        const variant = VARIANTS[name];
        await reset(client);
        if (variant.noTrigger) await client.query('ALTER TABLE logs DISABLE TRIGGER logs_count_inserts');
        let run;
        try {
          if (variant.kind === 'psql') {
            run = await psqlCopy(schema, files[variant.format ?? 'text'], ROWS, { format: variant.format });
          } else {
            const batches =
              variant.kind === 'one-copy'
                ? [all]
                : variant.batch
                  ? payloadBatches({ count: ROWS, batchSize: variant.batch, idEvery: 0, tag: 'fmt' })
                  : rows[variant.rows];
            run = await drainBatches(schema, batches, {
              inFlight: variant.kind === 'one-copy' ? 1 : (variant.inFlight ?? IN_FLIGHT),
              claimEventIds: true,
              write: variant.write,
              settings: variant.settings,
            });
          }
        } finally {
          if (variant.noTrigger) await client.query('ALTER TABLE logs ENABLE TRIGGER logs_count_inserts');
        }
        const tables = variant.write?.tables ?? [variant.write?.table ?? 'logs'];
        let stored = 0;
        for (const table of tables) {
          stored += Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
        }
        if (stored !== ROWS) throw new Error(`${name}: ${stored} rows stored, ${ROWS} written`);
        results[name].rowsPerS.push(run.rowsPerS);
        results[name].pg.push(run.pgUsPerRow);
        if (run.clientUsPerRow !== undefined) results[name].client.push(run.clientUsPerRow);
        console.log(
          `  round ${round + 1} ${name}: ${int(run.rowsPerS)} rows/s, PostgreSQL ${microseconds(run.pgUsPerRow)} µs/row` +
            `${run.clientUsPerRow !== undefined ? `, client ${microseconds(run.clientUsPerRow)} µs/row` : ''} (load ${loadAverage()[0]})`,
        );
      }
    }
    const copy = results['psql \\copy text'] && summarize(results['psql \\copy text'].rowsPerS).median;
    console.log(
      `\n| variant | rows/s, median (min–max) | ÷ psql \\copy text | PostgreSQL µs/row | client µs/row |`,
    );
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const name of names) {
      const r = results[name];
      const rate = summarize(r.rowsPerS);
      console.log(
        `| ${name} | ${medianRange(rate)} | ${copy ? `${((100 * rate.median) / copy).toFixed(0)}%` : DASH} | ` +
          `${medianRange(summarize(r.pg), microseconds)} | ${medianRange(summarize(r.client), microseconds)} |`,
      );
    }
    console.log(`\nLoad average before: ${loadBefore.join(' ')}; after: ${loadAverage().join(' ')}`);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
