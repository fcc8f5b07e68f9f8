// The worker's write path for the table benchmarks (partitions.mjs, index-diet.mjs, copy-format.mjs): a
// schema built by the real migrations, rows of the bench payload, and LogBatchWriter's statements (COPY
// in batches, in one transaction with the claim of the batch's event ids), copied here because the bench
// runs plain Node, not the TypeScript libs. Each drain also reports the CPU its PostgreSQL backends
// spent (from /proc/<pid>/schedstat: the server runs on this machine), which is far less noisy on a
// shared machine than rows/s.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
/** COLUMNS with the write lane (libs/log-store's write-lanes.ts) when `lane` is given. */
const columnsFor = (lane) => (lane === undefined ? COLUMNS : `${COLUMNS}, lane`);

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

/**
 * Runs `work(client, dir)` on a schema of its own built by the real migrations (`client` has it as its
 * search_path; `dir` is a scratch folder), then drops the schema and removes the folder, also when the
 * work failed or was interrupted.
 */
export async function withMigratedSchema(schema, work) {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  const dir = mkdtempSync(join(tmpdir(), `${schema}-`));
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    await migrate(schema, 'migration:run');
    const client = await connect(schema);
    try {
      return await work(client, dir);
    } finally {
      await client.end();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

/** The variants named in `--variants a,b,...` (or `defaults`), refusing a name `variants` does not have. */
export function chosenVariants(requested, variants, defaults = Object.keys(variants)) {
  const names = requested ? requested.split(',') : defaults;
  const unknown = names.filter((name) => !variants[name]);
  if (unknown.length > 0)
    throw new Error(`unknown variant(s) ${unknown.join(', ')}; known: ${Object.keys(variants).join(', ')}`);
  return names;
}

/** A session's options (libpq's `options`, PGOPTIONS): search_path `schema`, no timeout, then `settings`. */
const sessionOptions = (schema, settings = '') =>
  `-c search_path=${schema} -c statement_timeout=0 ${settings}`.trim();

/** A client whose search_path is `schema`; `settings` are more `-c name=value` options. */
export async function connect(schema, settings) {
  const client = new pg.Client({ connectionString: DATABASE_URL, options: sessionOptions(schema, settings) });
  await client.connect();
  return client;
}

/** An empty table (and rollup, and event ids), today's partitions, and clean buffers for every run. */
export async function emptyLogs(client) {
  await client.query('TRUNCATE logs, log_event_ids, log_counts');
  await client.query(
    `SELECT logpipe_create_log_partitions(now() - interval '1 day', now() + interval '1 day', '1 day')`,
  );
  await client.query('CHECKPOINT').catch(() => undefined);
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

/**
 * The values of one row in columnsFor(lane) order (received_at = ts, no trace, tenant 'acme', and write
 * lane `lane` unless it is undefined).
 */
const rowValues = (e, lane) => [
  e.ts,
  e.ts,
  e.level,
  e.service,
  e.message,
  e.attributes,
  null,
  null,
  e.eventId,
  e.streamId,
  'acme',
  ...(lane === undefined ? [] : [String(lane)]),
];

/** One batch in COPY text format, in columnsFor(lane) order. */
export const copyText = (batch, lane) =>
  batch.map((e) => rowValues(e, lane).map(field).join('\t') + '\n').join('');

const BINARY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TIMESTAMP_COLUMNS = new Set([0, 1]);
const JSONB_COLUMN = 5;
const SMALLINT_COLUMN = 11;

/**
 * One batch in COPY binary format, in columnsFor(lane) order: timestamps as int64 microseconds since
 * 2000, text as UTF-8, jsonb as its version byte (1) and the JSON text (PostgreSQL parses it all the
 * same), the lane as a smallint.
 */
export function copyBinary(batch, lane) {
  let capacity = BINARY_SIGNATURE.length + 8 + 2;
  for (const e of batch)
    capacity +=
      2 +
      12 * 4 +
      2 +
      16 +
      1 +
      3 * (e.level.length + e.service.length + e.message.length) +
      3 * (e.attributes.length + (e.eventId?.length ?? 0) + e.streamId.length + 4);
  const buf = Buffer.allocUnsafe(capacity);
  let at = BINARY_SIGNATURE.copy(buf, 0);
  at = buf.writeInt32BE(0, at);
  at = buf.writeInt32BE(0, at);
  for (const e of batch) {
    const values = rowValues(e, lane);
    at = buf.writeInt16BE(values.length, at);
    values.forEach((value, column) => {
      if (value === null) {
        at = buf.writeInt32BE(-1, at);
      } else if (TIMESTAMP_COLUMNS.has(column)) {
        const micros = (Date.parse(value) - PG_EPOCH_MS) * 1000;
        const high = Math.floor(micros / 2 ** 32);
        at = buf.writeInt32BE(8, at);
        at = buf.writeInt32BE(high, at);
        at = buf.writeUInt32BE(micros - high * 2 ** 32, at);
      } else if (column === SMALLINT_COLUMN) {
        at = buf.writeInt32BE(2, at);
        at = buf.writeInt16BE(Number(value), at);
      } else if (column === JSONB_COLUMN) {
        const length = buf.write(value, at + 5, 'utf8');
        buf.writeInt32BE(length + 1, at);
        buf[at + 4] = 1;
        at += 5 + length;
      } else {
        const length = buf.write(value, at + 4, 'utf8');
        buf.writeInt32BE(length, at);
        at += 4 + length;
      }
    });
  }
  at = buf.writeInt16BE(-1, at);
  return buf.subarray(0, at);
}

/**
 * A COPY FROM STDIN whose data leaves with the statement, without waiting for CopyInResponse: one round
 * trip per batch instead of two. Safe in the protocol: a backend whose COPY failed before reading the
 * data ignores CopyData and CopyDone outside copy mode (PostgresMain).
 */
class PipelinedCopy {
  constructor(text, data) {
    this.text = text;
    this.data = data;
    this.error = null;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
  submit(connection) {
    connection.query(this.text);
    const header = Buffer.allocUnsafe(5);
    header[0] = 0x64; // CopyData
    header.writeUInt32BE(this.data.length + 4, 1);
    connection.stream.write(header);
    connection.stream.write(this.data);
    connection.stream.write(Buffer.from([0x63, 0, 0, 0, 4])); // CopyDone
  }
  callback() {}
  handleCopyInResponse() {}
  handleCommandComplete() {}
  handleError(error) {
    this.error = error;
  }
  handleReadyForQuery() {
    if (this.error) this.reject(this.error);
    else this.resolve();
  }
}

/**
 * LogBatchWriter's COPY path; with `claimEventIds` in one transaction with the batch's event-id claim,
 * which follows the COPY as in LogBatchWriter (`claimFirst`: before it). `format` 'text' (today) or
 * 'binary'; `pipelined` sends the data with the statement; `table` other than `logs`.
 */
export async function writeBatch(
  client,
  batch,
  claimEventIds,
  { format = 'text', pipelined = false, table = 'logs', claimFirst = false, lane } = {},
) {
  const withIds = batch.filter((e) => e.eventId !== null);
  const claiming = claimEventIds && withIds.length > 0;
  const claim = () =>
    client.query(
      'INSERT INTO log_event_ids (tenant, event_id, stream_id, ts) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])',
      [
        withIds.map(() => 'acme'),
        withIds.map((e) => e.eventId),
        withIds.map((e) => e.streamId),
        withIds.map((e) => e.ts),
      ],
    );
  if (claiming) {
    await client.query('BEGIN');
    if (claimFirst) await claim();
  }
  const sql = `COPY ${table} (${columnsFor(lane)}) FROM STDIN${format === 'binary' ? ' WITH (FORMAT binary)' : ''}`;
  const data = format === 'binary' ? copyBinary(batch, lane) : copyText(batch, lane);
  if (pipelined) {
    const copy = new PipelinedCopy(sql, typeof data === 'string' ? Buffer.from(data) : data);
    client.query(copy);
    await copy.promise;
  } else {
    await pipeline(Readable.from([data]), client.query(copyStreams.from(sql)));
  }
  if (claiming) {
    if (!claimFirst) await claim();
    await client.query('COMMIT');
  }
}

/** The write lanes of `logs` (libs/log-store's write-lanes.ts), counted by its per-lane trigram indexes. */
export async function writeLanes(client) {
  const { rows } = await client.query(
    `SELECT count(*)::int AS n FROM pg_indexes
      WHERE schemaname = current_schema() AND tablename = 'logs' AND indexname LIKE 'logs\\_message\\_trgm\\_lane%'`,
  );
  // 0 in a schema migrated to a point before the lanes (tools/bench/partitions.mjs' single table).
  return rows[0].n;
}

/** Nanoseconds a process has run on a CPU (the first field of /proc/<pid>/schedstat). */
export function cpuNs(pid) {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

/**
 * The batches written by `inFlight` connections at once, as the worker does: rows/s, and µs of CPU per
 * row spent by the connections' PostgreSQL backends (`pgUsPerRow`) and by this process (`clientUsPerRow`:
 * encoding and the driver). `write` options go to writeBatch (`write.tables`: a table per connection;
 * `write.oneLane`: every connection in lane 0, as before write lanes); `settings` to connect().
 */
export async function drainBatches(schema, batches, { inFlight, claimEventIds, write = {}, settings }) {
  const queue = [...batches];
  const rows = batches.reduce((sum, b) => sum + b.length, 0);
  const clients = await Promise.all(Array.from({ length: inFlight }, () => connect(schema, settings)));
  const lanes = await writeLanes(clients[0]);
  const backends = clients.map((c) => c.processID);
  const pgBefore = backends.reduce((sum, pid) => sum + cpuNs(pid), 0);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  let seconds;
  let pgNs;
  let clientCpu;
  try {
    await Promise.all(
      clients.map(async (client, index) => {
        // `tables`: connection i writes into tables[i % length] (one table per writer), else `table`.
        // Connection i writes in lane i, as the worker's batches in flight do, unless `oneLane`.
        const options = {
          ...write,
          table: write.tables ? write.tables[index % write.tables.length] : write.table,
          lane: lanes === 0 ? undefined : write.oneLane ? 0 : index % lanes,
        };
        for (let batch = queue.shift(); batch !== undefined; batch = queue.shift())
          await writeBatch(client, batch, claimEventIds, options);
      }),
    );
    seconds = (performance.now() - started) / 1000;
    clientCpu = process.cpuUsage(clientBefore);
    pgNs = backends.reduce((sum, pid) => sum + cpuNs(pid), 0) - pgBefore;
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  return {
    rows,
    seconds,
    rowsPerS: rows / seconds,
    pgUsPerRow: pgNs / 1000 / rows,
    clientUsPerRow: (clientCpu.user + clientCpu.system) / rows,
  };
}

/**
 * `psql \copy` of a file into `logs` of `schema` (`format`: a COPY option such as 'binary', or text;
 * `settings`: more `-c name=value` options for its session),
 * in one psql session fed on stdin, so its backend's CPU can be read before and after the copy: rows/s
 * from sending the command to psql's answer to the next one, and `pgUsPerRow`.
 */
export function psqlCopy(schema, file, rows, { format, settings } = {}) {
  const child = spawn('psql', [DATABASE_URL, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1'], {
    env: { ...process.env, PGOPTIONS: sessionOptions(schema, settings) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  let closed = null;
  let waiter = null;
  const notify = () => waiter?.();
  child.stdout.on('data', (chunk) => {
    output += chunk;
    notify();
  });
  child.stderr.on('data', (chunk) => (errors += chunk));
  child.once('close', (code) => {
    closed = code;
    notify();
  });
  /** The first match of `pattern` in what psql printed (consumed up to it), once it is there. */
  const printed = (pattern) =>
    new Promise((resolve, reject) => {
      waiter = () => {
        const match = pattern.exec(output);
        if (match) {
          output = output.slice(match.index + match[0].length);
          waiter = null;
          resolve(match);
        } else if (closed !== null) reject(new Error(`psql exited ${closed}: ${errors}`));
      };
      waiter();
    });
  return (async () => {
    child.stdin.write(`SELECT 'pid:' || pg_backend_pid();\n`);
    const pid = Number((await printed(/pid:(\d+)\n/))[1]);
    const before = cpuNs(pid);
    const started = performance.now();
    const options = format ? ` WITH (FORMAT ${format})` : '';
    child.stdin.write(`\\copy logs (${COLUMNS}) FROM '${file}'${options}\nSELECT 'copied';\n`);
    await printed(/copied\n/);
    const seconds = (performance.now() - started) / 1000;
    const pgNs = cpuNs(pid) - before;
    child.stdin.end();
    if (closed === null) await new Promise((resolve) => child.once('close', resolve));
    if (closed !== 0) throw new Error(`psql exited ${closed}: ${errors}`);
    return { rows, seconds, rowsPerS: rows / seconds, pgUsPerRow: pgNs / 1000 / rows };
  })();
}
