#!/usr/bin/env node
// Issue 14's table diet: what each index of `logs` costs the drain. One schema built by the real
// migrations; for every variant of the index set (the migrated one, and each candidate change) the same
// DRAIN rows of the bench payload are written with the worker's path (LogBatchWriter's COPY, batches of
// BATCH, IN_FLIGHT at once) and, as the reference, with one `psql \copy` of the same rows into the same
// table with the same indexes (issue 14: worker >= 90% of \copy). Variants run alternately, ROUNDS
// times, and the medians are printed with the load average: on a shared machine only the ratios mean
// much. Each drain also gives the CPU per row of the PostgreSQL backends that wrote it (schedstat), the
// figure least moved by other load; `after-diet -<index>` variants show what one index costs.
//
//   node tools/bench/index-diet.mjs [--rows 200000] [--rounds 3] [--batch 1000] [--in-flight 3]
//                                   [--variants before-diet,after-diet (migrated),...] [--id-every 0]
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (default)
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { int, medianRange } from './lib/format.mjs';
import { loadAverage } from './lib/machine.mjs';
import { summarize } from './lib/stats.mjs';
import {
  chosenVariants,
  COLUMNS,
  copyText,
  cpuNs,
  drainBatches,
  emptyLogs,
  payloadBatches,
  psqlCopy,
  withMigratedSchema,
} from './lib/write-path.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1000' },
    'in-flight': { type: 'string', default: '3' },
    // The bench payload carries no client event ids; 10 = every tenth row has one (claimed per batch).
    'id-every': { type: 'string', default: '0' },
    variants: { type: 'string' },
  },
});
const ROWS = Number(args.rows);
const ROUNDS = Number(args.rounds);
const BATCH = Number(args.batch);
const IN_FLIGHT = Number(args['in-flight']);
const ID_EVERY = Number(args['id-every']);
const schema = `bench_diet_${randomBytes(3).toString('hex')}`;
// Ctrl-C or SIGTERM stops after the run in progress, and the schema is still dropped.
let interrupted = null;
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => (interrupted = signal));

const ATTRIBUTES = 'logs_attributes_idx';
/** The trigram index on `message`: one partial index per write lane (libs/log-store's write-lanes.ts). */
const MESSAGE = ['logs_message_trgm_lane0_idx', 'logs_message_trgm_lane1_idx', 'logs_message_trgm_lane2_idx'];
/** A migrated index again, with storage parameters (e.g. GIN's fastupdate). */
const withStorage = (like, storage) => ({ like, storage });

const TS_BTREE = 'CREATE INDEX "logs_ts_idx" ON logs (ts)';
const SERVICE_TS_BTREE = 'CREATE INDEX "logs_service_ts_idx" ON logs (service, ts)';
const TS_BRIN = 'logs_ts_brin_idx';
/**
 * A variant with the keys from before migration 1796385600000-primary-key-on-stream-position: the primary
 * key on (id, ts), and the stream position a unique index of its own.
 */
const withKeysBefore = ({ drop, create }) => ({
  primaryKey: '(id, ts)',
  drop,
  create: ['CREATE UNIQUE INDEX "logs_stream_id_ts_key" ON logs (stream_id, ts)', ...create],
});
/** pg_trgm lives in `public` (the migrations put it there when it exists, as in the test database). */
const TRGM_SCHEMA = 'public';

/**
 * Each variant: indexes dropped from, and created on, the migrated set (on the partitioned parent,
 * so every partition gets them). The migrated set is after issue 14's diet (migration
 * 1796256000000-index-diet); the first variant puts back what that migration took away, so the
 * deltas are against the table before it. A storage parameter cannot be changed on a partitioned
 * index, so a GIN variant drops the index and creates it again with its parameters.
 */
const VARIANTS = {
  'before-diet': withKeysBefore({ drop: [TS_BRIN], create: [TS_BTREE, SERVICE_TS_BTREE] }),
  // Every read filters by tenant: (tenant, service, ts) INCLUDE (level) serves what this one did.
  'before-diet -service_ts': withKeysBefore({ drop: [TS_BRIN], create: [TS_BTREE] }),
  // (tenant, ts, id) serves the tenant-scoped time reads; ranges without a tenant are what is left.
  'before-diet -ts': withKeysBefore({ drop: [TS_BRIN], create: [SERVICE_TS_BTREE] }),
  'before-diet ts->brin': withKeysBefore({ drop: [], create: [SERVICE_TS_BTREE] }),
  'after-diet (migrated)': { drop: [], create: [] },
  // The diet's index set with the keys before migration 1796385600000: one B-tree more per row, on (id, ts),
  // which no read goes along (the keyset cursor's tie-break reads `id` through (tenant, ts, id)).
  'after-diet pkey id+ts': withKeysBefore({ drop: [], create: [] }),
  // What each migrated index costs on its own: the set without it (none of these is a candidate: each
  // serves a read of the API, see docs/store.md; the price tells which ones are worth a cheaper form).
  'after-diet -tenant_ts_id': { drop: ['logs_tenant_ts_id_idx'], create: [] },
  'after-diet -tenant_service_ts': { drop: ['logs_tenant_service_ts_idx'], create: [] },
  'after-diet -trace': { drop: ['logs_tenant_trace_id_idx'], create: [] },
  'after-diet -attributes gin': { drop: [ATTRIBUTES], create: [] },
  'after-diet -message gin': { drop: MESSAGE, create: [] },
  'after-diet -ts brin': { drop: [TS_BRIN], create: [] },
  // The trigram index as GiST (one signature per row instead of a GIN entry per trigram): cheaper to
  // write, slower to search (lossy signatures, more rechecks); a candidate only if reads stay in budget.
  'after-diet message gin->gist': {
    drop: MESSAGE,
    create: [
      `CREATE INDEX "logs_message_trgm_gist_idx" ON logs USING gist (message ${TRGM_SCHEMA}.gist_trgm_ops)`,
    ],
  },
  'after-diet gin-fastupdate-off': {
    drop: [ATTRIBUTES, ...MESSAGE],
    create: [ATTRIBUTES, ...MESSAGE].map((index) => withStorage(index, 'fastupdate = off')),
  },
  // The trigram index absent while rows arrive and built over the partition afterwards (what indexing a
  // partition once it stops taking rows would cost): the build's time is counted in the "incl." column.
  // A design candidate, not a migration: rows without the index are only found by a scan.
  'after-diet message gin built afterwards': { drop: [], deferred: MESSAGE, create: [] },
  'after-diet gin-pending-32MB': {
    drop: [ATTRIBUTES, ...MESSAGE],
    create: [ATTRIBUTES, ...MESSAGE].map((index) => withStorage(index, 'gin_pending_list_limit = 32768')),
  },
  // A larger pending list merged with more memory: a backend merging the list it filled sorts at most
  // work_mem (4 MB by default) at a time, so a larger list alone is merged in the same small steps.
  'after-diet gin-pending-32MB work_mem-64MB': {
    drop: [ATTRIBUTES, ...MESSAGE],
    create: [ATTRIBUTES, ...MESSAGE].map((index) => withStorage(index, 'gin_pending_list_limit = 32768')),
    settings: '-c work_mem=64MB',
  },
  'after-diet work_mem-64MB': { drop: [], create: [], settings: '-c work_mem=64MB' },
  // Each writing backend takes `id`s from the identity sequence 1,000 at a time instead of one by one.
  'after-diet id-cache-1000': { drop: [], create: [], idCache: 1000 },
  // Not a candidate: what the read indexes cost together (only the primary key, the redelivery key).
  'bare (pkey only)': {
    drop: [
      TS_BRIN,
      'logs_tenant_ts_id_idx',
      'logs_tenant_trace_id_idx',
      'logs_tenant_service_ts_idx',
      ATTRIBUTES,
      ...MESSAGE,
    ],
    create: [],
  },
};

// fastupdate=off is left out by default: about ten times slower in a first 20,000-row run (each row's
// trigrams go straight into the GIN tree), it would take most of the run's time. So are the
// one-index-less sets (`--variants` names them).
const DEFAULT_VARIANTS = Object.keys(VARIANTS).filter(
  (name) => name !== 'after-diet gin-fastupdate-off' && !name.startsWith('after-diet -'),
);

async function indexDefinitions(client) {
  const { rows } = await client.query(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'logs' ORDER BY indexname`,
    [schema],
  );
  return rows;
}

// pg_indexes shows a partitioned table's index as `ON ONLY logs`; created that way it would not reach
// the partitions.
const onEveryPartition = (indexdef) => indexdef.replace(' ON ONLY ', ' ON ');

/** Indexes a variant builds only after its write (buildDeferred). */
const deferred = (variant) => variant.deferred ?? [];

/** The CREATE INDEX statement of the migrated index `name`, reaching every partition. */
const migratedIndex = (migrated, name) =>
  onEveryPartition(migrated.find((index) => index.indexname === name).indexdef);

/** The migrated primary key's columns, e.g. `(stream_id, ts)`, read from its index definition. */
const migratedPrimaryKey = (migrated) =>
  migrated.find((index) => index.indexname === 'logs_pkey').indexdef.match(/ USING btree (\(.+\))$/)[1];

/** Puts the migrated index set back, then applies the variant's changes (on an empty table: instant). */
async function applyVariant(client, migrated, variant) {
  const constraints = new Set(['logs_pkey']);
  for (const { indexname } of await indexDefinitions(client))
    if (!constraints.has(indexname)) await client.query(`DROP INDEX "${indexname}"`);
  // Dropped for the variant, or built only after its write (buildDeferred).
  const absent = [...variant.drop, ...deferred(variant)];
  // The migrated key and identity sequence, or the variant's.
  await client.query(
    `ALTER TABLE logs DROP CONSTRAINT logs_pkey, ADD CONSTRAINT logs_pkey PRIMARY KEY ${variant.primaryKey ?? migratedPrimaryKey(migrated)}`,
  );
  await client.query(`ALTER TABLE logs ALTER COLUMN id SET CACHE ${variant.idCache ?? 1}`);
  for (const { indexname, indexdef } of migrated)
    if (!constraints.has(indexname) && !absent.includes(indexname))
      await client.query(onEveryPartition(indexdef));
  for (const item of variant.create) {
    if (typeof item === 'string') await client.query(item);
    else {
      // WITH goes before a partial index's WHERE (the per-lane trigram indexes).
      const [definition, predicate] = migratedIndex(migrated, item.like).split(' WHERE ');
      await client.query(`${definition} WITH (${item.storage})${predicate ? ` WHERE ${predicate}` : ''}`);
    }
  }
}

/** `work` on `client`'s backend: its seconds, and that backend's CPU per row written (µs). */
async function onBackendTimed(client, work) {
  const started = performance.now();
  const cpuBefore = cpuNs(client.processID);
  await work();
  return {
    seconds: (performance.now() - started) / 1000,
    pgUsPerRow: (cpuNs(client.processID) - cpuBefore) / 1000 / ROWS,
  };
}

/**
 * Builds the variant's deferred indexes over the rows now stored (one pass per partition): seconds, and
 * the CPU of the building backend per row (added to the write's, so the variant's µs/row is the whole
 * cost of indexing a row).
 */
async function buildDeferred(client, migrated, variant) {
  return onBackendTimed(client, async () => {
    for (const name of deferred(variant)) await client.query(migratedIndex(migrated, name));
  });
}

/**
 * Merges what GIN's fast-update pending lists still hold into the indexes (what autovacuum would do
 * later, and what every search reads linearly until then): a bigger pending list that only defers the
 * work shows up here. Seconds, and the merging backend's CPU per row (as buildDeferred).
 */
async function flushPendingLists(client) {
  return onBackendTimed(client, () =>
    client.query(
      `SELECT gin_clean_pending_list(c.oid) FROM pg_class c JOIN pg_am a ON a.oid = c.relam
        WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'i' AND a.amname = 'gin'`,
      [schema],
    ),
  );
}

/** Bytes of every index of `logs`' partitions: what each row's entries add up to, free of the machine's noise. */
async function indexBytes(client) {
  const { rows } = await client.query(
    `SELECT coalesce(sum(pg_relation_size(i.indexrelid)), 0)::bigint AS bytes
       FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
      WHERE t.relnamespace = $1::regnamespace AND t.relkind = 'r' AND t.relname LIKE 'logs_p%'`,
    [schema],
  );
  return Number(rows[0].bytes);
}

async function countRows(client) {
  return Number((await client.query('SELECT count(*) AS n FROM logs')).rows[0].n);
}

const pgMedian = (values) => summarize(values).median;
const pgFigure = (values) => pgMedian(values).toFixed(1);

async function main() {
  const names = chosenVariants(args.variants, VARIANTS, DEFAULT_VARIANTS);
  const loadBefore = loadAverage();
  await withMigratedSchema(schema, async (client, dir) => {
    const migrated = await indexDefinitions(client);
    console.log(`schema ${schema} migrated; indexes of logs:`);
    for (const { indexdef } of migrated) console.log(`  ${indexdef.replace(` ${schema}.`, ' ')}`);
    const batches = payloadBatches({ count: ROWS, batchSize: BATCH, idEvery: ID_EVERY, tag: 'diet' });
    const file = join(dir, 'rows.copy');
    writeFileSync(file, batches.map((batch) => copyText(batch)).join(''));
    console.log(
      `\n${ROWS} rows of the bench payload; worker path: COPY batches of ${BATCH}, ${IN_FLIGHT} in flight` +
        `${ID_EVERY > 0 ? `, 1 in ${ID_EVERY} with an event id` : ''}; reference: one psql \\copy. ` +
        `${ROUNDS} rounds, variants alternating. Load average before: ${loadBefore.join(' ')}`,
    );
    const results = Object.fromEntries(
      names.map((name) => [
        name,
        {
          worker: [],
          copy: [],
          workerFlushed: [],
          copyFlushed: [],
          workerPg: [],
          copyPg: [],
          workerPgFlushed: [],
          copyPgFlushed: [],
        },
      ]),
    );
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) {
        if (interrupted) throw new Error(`${interrupted}: stopped; schema ${schema} dropped`);
        // Which of the two goes first alternates, so neither always meets a warmer cache.
        const order = round % 2 === 0 ? ['worker', 'copy'] : ['copy', 'worker'];
        const variant = VARIANTS[name];
        for (const kind of order) {
          await emptyLogs(client);
          // Before each write: a deferred index was built by the previous one.
          await applyVariant(client, migrated, variant);
          const { settings } = variant;
          const run =
            kind === 'worker'
              ? await drainBatches(schema, batches, { inFlight: IN_FLIGHT, claimEventIds: true, settings })
              : await psqlCopy(schema, file, ROWS, { settings });
          const build = await buildDeferred(client, migrated, variant);
          const flush = await flushPendingLists(client);
          const flushS = build.seconds + flush.seconds;
          const stored = await countRows(client);
          if (stored !== ROWS) throw new Error(`${name} ${kind}: ${stored} rows stored, ${ROWS} written`);
          results[name][kind].push(run.rowsPerS);
          results[name][`${kind}Pg`].push(run.pgUsPerRow + build.pgUsPerRow);
          results[name][`${kind}PgFlushed`].push(run.pgUsPerRow + build.pgUsPerRow + flush.pgUsPerRow);
          if (kind === 'worker') results[name].indexBytes = await indexBytes(client);
          results[name][`${kind}Flushed`].push(ROWS / (run.seconds + flushS));
        }
        console.log(
          `  round ${round + 1} ${name}: worker ${int(results[name].worker.at(-1))} rows/s, \\copy ${int(results[name].copy.at(-1))} rows/s (load ${loadAverage()[0]})`,
        );
      }
    }
    const base = summarize(results[names[0]].worker).median;
    const basePg = summarize(results[names[0]].workerPg).median;
    console.log(
      `\n| variant | worker rows/s, median (min–max) | \\copy rows/s | worker ÷ \\copy | worker vs ${names[0]} | worker incl. GIN pending flush or deferred build | \\copy incl. flush or build | index bytes per row | PostgreSQL µs/row: worker (vs ${names[0]}) / \\copy | the same with the pending flush |`,
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const name of names) {
      const worker = summarize(results[name].worker);
      const copy = summarize(results[name].copy);
      console.log(
        `| ${name} | ${medianRange(worker)} | ${medianRange(copy)} | ${((100 * worker.median) / copy.median).toFixed(0)}% | ` +
          `${((100 * (worker.median - base)) / base).toFixed(1)}% | ${int(summarize(results[name].workerFlushed).median)} | ` +
          `${int(summarize(results[name].copyFlushed).median)} | ${(results[name].indexBytes / ROWS).toFixed(0)} | ` +
          `${pgFigure(results[name].workerPg)} (${(pgMedian(results[name].workerPg) - basePg).toFixed(1)}) / ${pgFigure(results[name].copyPg)} | ` +
          `${pgFigure(results[name].workerPgFlushed)} / ${pgFigure(results[name].copyPgFlushed)} |`,
      );
    }
    console.log(
      `\nLoad average before: ${loadBefore.join(' ')}; after: ${loadAverage().join(' ')} ` +
        `(${process.env.DATABASE_URL ? 'DATABASE_URL' : 'the shared test database'})`,
    );
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
