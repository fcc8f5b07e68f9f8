#!/usr/bin/env node
// Issue 14's "decode overlapping the previous COPY": how much of a drained batch is the worker decoding
// stream values, and how much is waiting for LogBatchWriter.insert (COPY). In one process, without
// Redis: the bench payload encoded as ingest writes it (one stream value per entry, version 2, or
// chunks of CHUNK entries, version 3), then batch after batch (one in flight, so the two parts do not
// hide each other): decodeStreamValue of BATCH entries' values (CPU time), then the real writer's
// insert into a schema built by the migrations (wall time, and this process's CPU during it: encoding
// the COPY data and the driver). With --main-writer it also runs /work/main's LogBatchWriter (COPY
// text), so two writers can be compared in one run.
//
//   node tools/bench/decode-vs-copy.mjs [--rows 50000] [--batch 1000] [--chunk 500] [--rounds 3]
//                                       [--main-writer /work/main]
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (default)
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadAverage } from './lib/machine.mjs';
import { makeEntries } from './lib/payload.mjs';
import { summarize } from './lib/stats.mjs';
import { repoRoot, tsRequire } from './lib/ts-sources.mjs';
import { DATABASE_URL } from './lib/write-path.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '1000' },
    chunk: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    'main-writer': { type: 'string' },
  },
});
const ROWS = Number(args.rows);
const BATCH = Number(args.batch);
const CHUNK = Number(args.chunk);
const ROUNDS = Number(args.rounds);

const require = tsRequire();
const schemaLib = require(join(repoRoot, 'libs/log-schema/src/index.ts'));
const store = require(join(repoRoot, 'libs/log-store/src/index.ts'));
const { openMigratedSchema } = require(join(repoRoot, 'libs/log-store/src/testing.ts'));
const writers = { [`this tree (${repoRoot})`]: store.LogBatchWriter };
if (args['main-writer'])
  writers[`${args['main-writer']}`] = require(
    join(args['main-writer'], 'libs/log-store/src/lib/log-batch.writer.ts'),
  ).LogBatchWriter;

const cpuMs = (since) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/** The stream values ingest would have written for `entries`, with their stream ids. */
function streamValues(entries, format) {
  const now = Date.now();
  if (format === 'entry (v2)')
    return entries.map((e, i) => ({ id: `${now}-${i}`, value: schemaLib.encodeLogEntry(e) }));
  const values = [];
  for (let i = 0; i < entries.length; i += CHUNK)
    values.push({ id: `${now}-${i}`, value: schemaLib.encodeLogChunk(entries.slice(i, i + CHUNK)) });
  return values;
}

/** The worker's decode of stream messages into rows (chunk entries stored as <id>#<index>). */
function decode(messages) {
  const rows = [];
  for (const { id, value } of messages) {
    const decoded = schemaLib.decodeStreamValue(value);
    decoded.slots.forEach((slot, index) => {
      if (slot.ok)
        rows.push({ ...slot.entry, streamId: decoded.chunk ? schemaLib.chunkEntryId(id, index) : id });
    });
  }
  return rows;
}

async function main() {
  const schema = `bench_decode_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  const loadBefore = loadAverage();
  let dataSource;
  try {
    dataSource = await openMigratedSchema(DATABASE_URL, schema);
    const now = Date.now();
    const entries = makeEntries(ROWS).map((e, i) => ({
      timestamp: now - (ROWS - i),
      receivedAt: now,
      level: e.level,
      service: e.service,
      message: e.message,
      attributes: e.attributes,
      traceId: null,
      spanId: null,
      eventId: null,
      tenant: 'acme',
    }));
    await dataSource.query(
      `SELECT logpipe_create_log_partitions(now() - interval '1 day', now() + interval '1 day', '1 day')`,
    );
    console.log(
      `${ROWS} entries of the bench payload, batches of ${BATCH} entries, one in flight; ${ROUNDS} rounds. ` +
        `Load average before: ${loadBefore.join(' ')}`,
    );
    console.log(
      '\n| stream format | writer | decode, CPU ms per batch | insert, wall ms per batch | insert, worker CPU ms per batch | decode ÷ (decode + insert wall) |',
    );
    console.log('| --- | --- | ---: | ---: | ---: | ---: |');
    for (const format of ['entry (v2)', `chunk of ${CHUNK} (v3)`]) {
      const values = streamValues(entries, format);
      const perBatch = format === 'entry (v2)' ? BATCH : Math.max(1, Math.round(BATCH / CHUNK));
      for (const [name, Writer] of Object.entries(writers)) {
        const writer = new Writer(dataSource);
        const figures = { decode: [], insertWall: [], insertCpu: [] };
        for (let round = 0; round < ROUNDS; round++) {
          await dataSource.query('TRUNCATE logs, log_event_ids, log_counts');
          for (let i = 0; i < values.length; i += perBatch) {
            const decodeStart = process.cpuUsage();
            const rows = decode(values.slice(i, i + perBatch));
            figures.decode.push(cpuMs(decodeStart));
            const insertStart = process.cpuUsage();
            const wallStart = performance.now();
            await writer.insert(rows);
            figures.insertWall.push(performance.now() - wallStart);
            figures.insertCpu.push(cpuMs(insertStart));
          }
        }
        const m = (list) => summarize(list).median;
        console.log(
          `| ${format} | ${name} | ${m(figures.decode).toFixed(1)} | ${m(figures.insertWall).toFixed(1)} | ` +
            `${m(figures.insertCpu).toFixed(1)} | ${((100 * m(figures.decode)) / (m(figures.decode) + m(figures.insertWall))).toFixed(0)}% |`,
        );
      }
    }
    console.log(`\nLoad average before: ${loadBefore.join(' ')}; after: ${loadAverage().join(' ')}`);
  } finally {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
