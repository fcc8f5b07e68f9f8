// The worker's write path for the table benchmarks (partitions.mjs, index-diet.mjs): a schema built by
// the real migrations, rows of the bench payload, and LogBatchWriter's statements (COPY text in batches,
// in one transaction with the claim of the batch's event ids), copied here because the bench runs plain
// Node, not the TypeScript libs.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { makeEntries } from './payload.mjs';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const COLUMNS =
  'ts, received_at, level, service, message, attributes, trace_id, span_id, event_id, stream_id, tenant';

function run(command, commandArgs, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: 'pipe',
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.once('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}: ${output}`)),
    );
  });
}

/** `migration:run` or `migration:revert` of libs/log-store in one schema. */
export const migrate = (schema, action) =>
  run('npx', ['typeorm-ts-node-commonjs', '-d', 'libs/log-store/src/lib/data-source.ts', action], {
    TS_NODE_PROJECT: 'libs/log-store/tsconfig.lib.json',
    TS_NODE_TRANSPILE_ONLY: 'true',
    DATABASE_URL,
    DB_SCHEMA: schema,
  });

export async function connect(schema) {
  const client = new pg.Client({
    connectionString: DATABASE_URL,
    options: `-c search_path=${schema} -c statement_timeout=0`,
  });
  await client.connect();
  return client;
}

const SPECIAL = /[\\\n\r\t]/g;
const ESCAPES = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const field = (v) => (v === null ? '\\N' : v.replace(SPECIAL, (c) => ESCAPES[c]));

/**
 * `count` rows of the bench payload, one millisecond apart and ending now (so today's partition takes
 * them), every `idEvery`-th with a client event id (0: none), in batches of `batchSize`.
 */
export function payloadBatches({ count, batchSize, idEvery, tag }) {
  const now = Date.now();
  const entries = makeEntries(count).map((e, i) => ({
    ts: new Date(now - (count - i)).toISOString(),
    level: e.level,
    service: e.service,
    message: e.message,
    attributes: JSON.stringify(e.attributes),
    eventId: idEvery > 0 && i % idEvery === 0 ? `${tag}-${i}` : null,
    streamId: `${now}-${i}`,
  }));
  const out = [];
  for (let i = 0; i < entries.length; i += batchSize) out.push(entries.slice(i, i + batchSize));
  return out;
}

/** One batch in COPY text format, in COLUMNS order. */
export const copyText = (batch) =>
  batch
    .map(
      (e) =>
        [e.ts, e.ts, e.level, e.service, e.message, e.attributes, null, null, e.eventId, e.streamId, 'acme']
          .map(field)
          .join('\t') + '\n',
    )
    .join('');

/** LogBatchWriter's COPY path; with `claimEventIds` in one transaction with the batch's event-id claim. */
export async function writeBatch(client, batch, claimEventIds) {
  const withIds = batch.filter((e) => e.eventId !== null);
  if (claimEventIds && withIds.length > 0) await client.query('BEGIN');
  await pipeline(
    Readable.from([copyText(batch)]),
    client.query(copyStreams.from(`COPY logs (${COLUMNS}) FROM STDIN`)),
  );
  if (claimEventIds && withIds.length > 0) {
    await client.query(
      'INSERT INTO log_event_ids (tenant, event_id, stream_id, ts) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])',
      [
        withIds.map(() => 'acme'),
        withIds.map((e) => e.eventId),
        withIds.map((e) => e.streamId),
        withIds.map((e) => e.ts),
      ],
    );
    await client.query('COMMIT');
  }
}

/** The batches written by `inFlight` connections at once, as the worker does; rows/s. */
export async function drainBatches(schema, batches, { inFlight, claimEventIds }) {
  const queue = [...batches];
  const rows = batches.reduce((sum, b) => sum + b.length, 0);
  const clients = await Promise.all(Array.from({ length: inFlight }, () => connect(schema)));
  const started = performance.now();
  try {
    await Promise.all(
      clients.map(async (client) => {
        for (let batch = queue.shift(); batch !== undefined; batch = queue.shift())
          await writeBatch(client, batch, claimEventIds);
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  const seconds = (performance.now() - started) / 1000;
  return { rows, seconds, rowsPerS: rows / seconds };
}
