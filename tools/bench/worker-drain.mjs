// Worker CPU per log entry, drain time, peak RSS and its rise during the drain for a pre-filled stream
// (issue 14): version 2 values (one stream entry per log entry, what an older ingest wrote) vs version 3
// chunks (entries encoded one by one) vs version 4 chunks (entries as a client sent them, which the worker
// validates as it reads). Starts the built worker (dist/apps/worker, or WORKER_JS) on the shared Redis and
// PostgreSQL with a schema and stream of its own, stops it (SIGSTOP), fills the stream, lets it go and times
// it until every row is stored; CPU from /proc (utime + stime), so a loaded machine distorts it less than
// the wall time.
// Usage: [WORKER_DRAIN_NODE_ARGS="..."] node tools/bench/worker-drain.mjs <v2|v3|v4> <entries> [entries per chunk, default 500]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
const root = new URL('../../', import.meta.url).pathname;
const require = createRequire(`${root}package.json`);
const { Redis } = require('ioredis');
const { Client } = require('pg');

const [format, total, chunkArg] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 500)];
const suffix = randomBytes(4).toString('hex');
const streamKey = `bench:chunkr:${suffix}:stream`;
const schema = `bench_chunkr_${suffix}`;
const redis = new Redis('redis://127.0.0.1:6379');
const pg = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
await pg.connect();
await pg.query(`CREATE SCHEMA ${schema}`);
const ticks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // ms at USER_HZ 100
};
const fields = (i) => [
  1764151200000 + i,
  1764151200000 + i,
  'info',
  'bench',
  `message number ${i} with some text`,
  { i, path: '/api/x' },
  null,
  null,
  null,
  'default',
];
const port = 20000 + Math.floor(Math.random() * 20000);
// WORKER_DRAIN_NODE_ARGS: flags for the worker's node, e.g. the stack's heap settings or
// --cpu-prof --cpu-prof-dir=.bench/prof (a profile is written when the worker exits on SIGTERM). The
// memory reducer is off first, as every launcher runs the worker (README "Memory"); a later
// --memory-reducer in WORKER_DRAIN_NODE_ARGS turns it back on.
const workerNodeArgs = [
  '--no-memory-reducer',
  ...(process.env.WORKER_DRAIN_NODE_ARGS ?? '').split(' ').filter(Boolean),
];
const worker = spawn(
  process.execPath,
  [...workerNodeArgs, process.env.WORKER_JS ?? `${root}dist/apps/worker/main.js`],
  {
    env: {
      ...process.env,
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      DB_SCHEMA: schema,
      DB_MIGRATE: 'true',
      STREAM_KEY: streamKey,
      DEAD_LETTER_STREAM: `bench:chunkr:${suffix}:dead`,
      HEALTH_HOST: '127.0.0.1',
      HEALTH_PORT: String(port),
      RETENTION: '0',
      LOG_LEVEL: 'warn',
      WORKER_NAME: 'bench',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
for (;;) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 200));
}
process.kill(worker.pid, 'SIGSTOP');
let pipe = redis.pipeline();
let queued = 0;
if (format === 'v2') {
  for (let i = 0; i < total; i++) {
    pipe.xadd(streamKey, '*', 'data', JSON.stringify([2, ...fields(i)]));
    if (++queued % 2000 === 0) {
      await pipe.exec();
      pipe = redis.pipeline();
    }
  }
} else {
  // The same entry as a client submits it (what version 4 carries), for fields(i).
  const submitted = (i) => {
    const [timestamp, , level, service, message, attributes] = fields(i);
    return { timestamp: new Date(timestamp).toISOString(), level, service, message, attributes };
  };
  for (let i = 0; i < total; i += chunkArg) {
    const n = Math.min(chunkArg, total - i);
    const range = Array.from({ length: n }, (_, k) => i + k);
    pipe.xadd(
      streamKey,
      '*',
      'data',
      format === 'v4'
        ? `[4,1764151200000,"default",${JSON.stringify(range.map(submitted))}]`
        : `[3,${range.map((k) => JSON.stringify(fields(k))).join(',')}]`,
    );
    pipe.incrby(`${streamKey}:entries`, n);
    if (++queued % 20 === 0) {
      await pipe.exec();
      pipe = redis.pipeline();
    }
  }
}
await pipe.exec();
const statusMiB = (field) =>
  Number(readFileSync(`/proc/${worker.pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+)`))[1]) /
  1024;
// The worker's RSS before the drain (started, migrated, idle) and its highest sample during the drain:
// the rise the bench's memory target bounds (issue 14: < 10% while the backlog grows). VmHWM, the
// process's lifetime peak, may come from its start-up instead.
const startRss = statusMiB('VmRSS');
let drainPeakRss = startRss;
const cpu0 = ticks(worker.pid);
const t0 = performance.now();
process.kill(worker.pid, 'SIGCONT');
for (;;) {
  const { rows } = await pg.query(`SELECT count(*)::int AS n FROM ${schema}.logs`);
  drainPeakRss = Math.max(drainPeakRss, statusMiB('VmRSS'));
  if (rows[0].n >= total) break;
  await new Promise((r) => setTimeout(r, 50));
}
const wall = performance.now() - t0;
const cpu = ticks(worker.pid) - cpu0;
console.log(
  JSON.stringify({
    format,
    total,
    chunk: format === 'v2' ? 1 : chunkArg,
    drainMs: Math.round(wall),
    entriesPerS: Math.round((total / wall) * 1000),
    cpuUsPerEntry: +((cpu * 1000) / total).toFixed(2),
    startRssMiB: Math.round(startRss),
    drainPeakRssMiB: Math.round(drainPeakRss),
    risePct: Math.round((drainPeakRss / startRss - 1) * 100),
    peakRssMiB: Math.round(statusMiB('VmHWM')),
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  }),
);
worker.kill('SIGTERM');
await new Promise((r) => worker.on('exit', r));
await redis.del(streamKey, `${streamKey}:entries`, `bench:chunkr:${suffix}:dead`);
await pg.query(`DROP SCHEMA ${schema} CASCADE`);
await pg.end();
redis.disconnect();
