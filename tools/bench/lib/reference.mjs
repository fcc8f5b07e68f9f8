// The reference design (../shared/seed-baseline: nginx → 2× FastAPI → Redis → worker.py → PostgreSQL),
// measured in the same run with the same wrk command and body, so Logpipe's figures are also ratios to
// it. Optional: when the folder is absent the bench says so and goes on. Its own up.sh/down.sh start
// and stop it (by the PIDs they record); components that were already running are left running.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { deliveryCheck, steadyWindow } from './measure.mjs';
import { memoryOf, processStartEpochMs } from './proc-stats.mjs';
import { progress, say } from './progress.mjs';
import { pollUntil, sleep } from './sleep.mjs';
import { runWrk } from './wrk.mjs';

// From the reference's env.sh; its scripts hard-code them too.
const RUN_DIR = '/tmp/baseline-run';
const PORTS = { nginx: [8080], app: [8001, 8002], redis: [6390], pg: [5440] };
const PID_FILES = {
  redis: ['redis'],
  pg: ['pg'],
  app: ['app8001', 'app8002'],
  nginx: ['nginx'],
  worker: ['worker'],
};
// down.sh stops components in the order named: front to back, like its own default.
const STOP_ORDER = ['nginx', 'app', 'worker', 'pg', 'redis'];
const DSN = 'postgresql://postgres@127.0.0.1:5440/logs';
const REDIS_URL = 'redis://127.0.0.1:6390/0';

export function referenceDir(repoRoot) {
  return resolve(repoRoot, '..', 'shared', 'seed-baseline');
}

function pidOf(name) {
  try {
    const pid = Number.parseInt(readFileSync(join(RUN_DIR, `${name}.pid`), 'utf8'), 10);
    return memoryOf(pid) === null ? null : pid;
  } catch {
    return null;
  }
}

function componentAlive(component) {
  return PID_FILES[component].every((name) => pidOf(name) !== null);
}

function portInUse(port) {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });
}

/** Runs one of the reference's scripts with its output to a log file; rejects on a non-zero exit. */
function script(dir, logFile, name, args = [], timeoutMs = 10 * 60 * 1000) {
  const log = openSync(logFile, 'a');
  try {
    const child = spawn('bash', [join(dir, name), ...args], { cwd: dir, stdio: ['ignore', log, log] });
    return new Promise((done, fail) => {
      const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
      child.once('error', fail);
      // 'exit', not 'close': processes the script leaves running in the background keep its stdio open.
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) done();
        else fail(new Error(`${name} ${args.join(' ')} exited ${code}; see ${logFile}`));
      });
    });
  } finally {
    closeSync(log);
  }
}

function processRoots() {
  return {
    nginx: pidOf('nginx'),
    'app-8001': pidOf('app8001'),
    'app-8002': pidOf('app8002'),
    worker: pidOf('worker'),
    redis: pidOf('redis'),
    postgres: pidOf('pg'),
  };
}

async function resetTable(db) {
  await db.query('TRUNCATE logs RESTART IDENTITY');
  await db.query('CHECKPOINT');
}

async function count(db) {
  return Number((await db.query('SELECT count(*)::bigint AS n FROM logs')).rows[0].n);
}

/** Polls count(*) until it reaches `expected` and then stays put for 1 s (the reference's drain_wait.py). */
async function waitForRows(db, expected, timeoutMs) {
  let last = -1;
  let stableSince = performance.now();
  const started = performance.now();
  const { timedOut } = await pollUntil(
    async () => {
      const rows = await count(db);
      if (rows !== last) {
        last = rows;
        stableSince = performance.now();
      }
      return rows >= expected && performance.now() - stableSince >= 1000;
    },
    { intervalMs: 100, timeoutMs },
  );
  return { rows: last, timedOut, seconds: (performance.now() - started) / 1000 };
}

/** One single-entry run of the reference, the same wrk command and body as Logpipe's scenario 1. */
async function singleEntryRun(ctx, db, phase) {
  const { opts, bodyFiles } = ctx;
  await resetTable(db);
  progress(phase, { note: `wrk ${opts.singleConnections} connections, ${opts.loadSeconds} s` });
  const loadgen = [];
  const cpu = steadyWindow(() => ({ ...processRoots(), loadgen, bench: process.pid }), opts.loadSeconds);
  const run = await runWrk({
    url: 'http://127.0.0.1:8080/api/log',
    bodyFile: bodyFiles.single,
    format: 'json',
    connections: opts.singleConnections,
    durationS: opts.loadSeconds,
    onSpawn: (pid) => loadgen.push(pid),
  });
  const cpuResult = cpu.result();
  const drain = await waitForRows(db, run.ok, opts.drainTimeoutS * 1000);
  // The reference has no count of accepted entries of its own; rows are checked against wrk's 2xx.
  const check = deliveryCheck({
    accepted: drain.rows,
    rows: drain.rows,
    okEntries: run.ok,
    maxInFlightEntries: opts.singleConnections,
  });
  say(
    `  ${phase}: ${Math.round(run.rps)} req/s, p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms, ` +
      `non-2xx ${run.non2xx}, rows ${drain.rows} (extra ${check.extraRows})`,
  );
  return { ...run, rows: drain.rows, cpu: cpuResult, check };
}

async function singleEntryRuns(ctx, db) {
  const runs = [];
  for (let i = 0; i < ctx.opts.runs; i += 1) {
    runs.push(await singleEntryRun(ctx, db, `reference 1 single-entry ${i + 1}/${ctx.opts.runs}`));
  }
  return { runs };
}

async function drainRuns(ctx, dir, db, logFile) {
  const { opts } = ctx;
  const redis = new Redis(REDIS_URL);
  const runs = [];
  try {
    for (let i = 0; i < opts.referenceDrainRuns; i += 1) {
      const phase = `reference 3 worker drain ${i + 1}/${opts.referenceDrainRuns}`;
      progress(phase, { note: `pre-filling ${opts.drainEntries} entries with its prefill.py` });
      await script(dir, logFile, 'down.sh', ['worker']);
      await redis.del('logs:stream');
      await resetTable(db);
      await new Promise((done, fail) => {
        const child = spawn('/usr/bin/python3', [join(dir, 'bench/prefill.py'), String(opts.drainEntries)], {
          cwd: dir,
          env: { ...process.env, REDIS_URL },
          stdio: 'ignore',
        });
        child.once('error', fail);
        child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`prefill.py exited ${code}`))));
      });
      await script(dir, logFile, 'up.sh', ['worker']);
      const spawnedAt = processStartEpochMs(pidOf('worker'));
      const done = await pollUntil(
        async () => {
          const rows = await count(db);
          progress(phase, { rows, t: (Date.now() - spawnedAt) / 1000 });
          return rows >= opts.drainEntries && Date.now();
        },
        { intervalMs: 100, timeoutMs: opts.drainTimeoutS * 1000 },
      );
      const seconds = (done.value - spawnedAt) / 1000;
      const rows = await count(db);
      runs.push({ rows, seconds, rowsPerS: rows / seconds, timedOut: done.timedOut });
      say(
        `  ${phase}: ${rows} rows in ${seconds.toFixed(2)} s from the worker's start = ${Math.round(rows / seconds)} rows/s`,
      );
    }
  } finally {
    redis.disconnect();
  }
  return { entries: opts.drainEntries, runs };
}

/**
 * Starts the reference (what of it is not running yet) and connects to its database: `{ skipped }` when it
 * cannot run here, else `{ dir, db, logFile, close }`; close() stops what it started.
 */
async function openReference(ctx) {
  const { opts, repoRoot, runDir } = ctx;
  const dir = referenceDir(repoRoot);
  if (!opts.reference) return { skipped: 'not run (--no-reference, or --quick without --reference)' };
  if (!existsSync(join(dir, 'up.sh'))) return { skipped: `${dir} is absent` };
  if (process.getuid?.() !== 0) return { skipped: 'the reference scripts need root (apt-get, runuser)' };
  const before = Object.fromEntries(
    Object.keys(PID_FILES).map((component) => [component, componentAlive(component)]),
  );
  for (const [component, ports] of Object.entries(PORTS)) {
    if (before[component]) continue;
    for (const port of ports) {
      if (await portInUse(port))
        return { skipped: `port ${port} (reference ${component}) is in use by another process` };
    }
  }
  const started = STOP_ORDER.filter((component) => !before[component]);
  const logFile = join(runDir, 'reference.log');
  say(`reference: starting ${dir} (up.sh; log ${logFile})`);
  const stopStarted = () =>
    started.length > 0 ? script(dir, logFile, 'down.sh', started).catch(() => {}) : Promise.resolve();
  // Ctrl-C while it runs stops it too (run.mjs calls ctx.cleanups).
  ctx.cleanups?.push(stopStarted);
  let db;
  const close = async () => {
    await db?.end();
    ctx.cleanups?.splice(ctx.cleanups.indexOf(stopStarted), 1);
    await stopStarted();
  };
  try {
    progress('reference up.sh', { note: 'installs what is missing on the first run' });
    await script(dir, logFile, 'up.sh');
    db = new pg.Client({ connectionString: DSN });
    await db.connect();
    await sleep(1000);
    return { dir, db, logFile, close };
  } catch (error) {
    await close();
    say(`reference: ${error.message}`);
    return { skipped: `failed: ${error.message}` };
  }
}

/**
 * Scenario 1 with the reference in turn (issue 14: "≥ 2.5× the reference design in the same run"): the
 * machine's speed drifts within a run, so each of Logpipe's single-entry runs is followed by one of the
 * reference's, both stacks up (the reference's ports are its own), and each pair is compared.
 * `logpipeRun(i)` is Logpipe's run i. Returns `{ runs, reference }`; `reference` holds the reference's
 * single-entry runs (`inTurn: true`) or why it did not run, for referenceRun to pass on.
 */
export async function singleEntryInTurnWithReference(ctx, logpipeRun) {
  const reference = await openReference(ctx);
  const runs = [];
  const referenceRuns = [];
  try {
    for (let i = 0; i < ctx.opts.runs; i += 1) {
      runs.push(await logpipeRun(i));
      if (!reference.skipped) {
        referenceRuns.push(
          await singleEntryRun(
            ctx,
            reference.db,
            `reference 1 single-entry ${i + 1}/${ctx.opts.runs} (in turn)`,
          ),
        );
      }
    }
  } finally {
    if (!reference.skipped) await reference.close();
  }
  return {
    runs,
    reference: reference.skipped ? { skipped: reference.skipped } : { runs: referenceRuns, inTurn: true },
  };
}

/**
 * The reference's own part at the end of the run: its worker drain, and its single-entry runs unless
 * scenario 1 already measured them in turn (`singleEntry`).
 */
export async function referenceRun(ctx, { singleEntry } = {}) {
  const reference = await openReference(ctx);
  if (reference.skipped) return { skipped: reference.skipped };
  try {
    const single = singleEntry ?? (await singleEntryRuns(ctx, reference.db));
    const drain = await drainRuns(ctx, reference.dir, reference.db, reference.logFile);
    return { dir: reference.dir, singleEntry: single, drain };
  } catch (error) {
    say(`reference: ${error.message}`);
    return { skipped: `failed: ${error.message}` };
  } finally {
    await reference.close();
  }
}
