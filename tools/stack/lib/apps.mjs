// The two Logpipe apps: building them with Nx, running the worker's migrations, and the ingest and
// worker processes (environment per the apps' contract, README "Configuration").
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from './errors.mjs';
import { probeHttp } from './health.mjs';
import { tailOf } from './output.mjs';
import { stopProcess } from './processes.mjs';

export function bundlePath(repoRoot, app, file = 'main.js') {
  return join(repoRoot, 'dist', 'apps', app, file);
}

function runToLog({ command, args, cwd, env, logFile, timeoutMs, signal }) {
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { cwd, env, signal, stdio: ['ignore', log, log] });
    return new Promise((resolveRun) => {
      const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        // An abort (Ctrl-C during start-up) also lands here; 'close' follows and reports the signal.
        if (error.name !== 'AbortError') resolveRun({ status: -1, error: error.message });
      });
      child.once('close', (status, signal) => {
        clearTimeout(timer);
        resolveRun({ status, signal });
      });
    });
  } finally {
    closeSync(log);
  }
}

/** The nx CLI script, as its package.json names it (it moved between Nx majors). */
function nxCli(repoRoot) {
  const packageDir = join(repoRoot, 'node_modules', 'nx');
  const manifest = join(packageDir, 'package.json');
  if (!existsSync(manifest)) throw new StackError('node_modules/nx is missing; run npm ci');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8'));
  return join(packageDir, typeof bin === 'string' ? bin : bin.nx);
}

/**
 * nx run-many -t build -p ingest worker console (the web console nginx serves); Nx's cache makes a
 * repeat run with no changes cheap.
 */
export async function buildApps({ repoRoot, logFile, signal }) {
  const nx = nxCli(repoRoot);
  const result = await runToLog({
    command: process.execPath,
    args: [nx, 'run-many', '-t', 'build', '-p', 'ingest', 'worker', 'console'],
    cwd: repoRoot,
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
    logFile,
    timeoutMs: 10 * 60 * 1000,
    signal,
  });
  if (signal?.aborted) throw signal.reason;
  if (result.status !== 0) {
    throw new StackError(
      `building ingest, worker and console failed (exit ${result.status ?? result.signal})`,
      tailOf(logFile, 30),
    );
  }
  for (const [app, file] of [
    ['ingest', 'main.js'],
    ['worker', 'main.js'],
    ['worker', 'migrate.js'],
    ['console', 'index.html'],
  ]) {
    if (!existsSync(bundlePath(repoRoot, app, file))) {
      throw new StackError(`the build did not produce ${bundlePath(repoRoot, app, file)}`);
    }
  }
}

/**
 * Applies pending migrations and grants the app roles their access (dist/apps/worker/migrate.js exits 0
 * when there is nothing left to do), connected as the owner role.
 */
export async function runMigrations({ repoRoot, databaseUrl, logFile, signal }) {
  const script = bundlePath(repoRoot, 'worker', 'migrate.js');
  if (!existsSync(script)) throw new StackError(`${script} is missing; build the worker first`);
  const result = await runToLog({
    command: process.execPath,
    args: [script],
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl, MIGRATION_DATABASE_URL: databaseUrl },
    logFile,
    timeoutMs: 2 * 60 * 1000,
    signal,
  });
  if (signal?.aborted) throw signal.reason;
  if (result.status !== 0) {
    throw new StackError(`migrations failed (exit ${result.status ?? result.signal})`, tailOf(logFile, 30));
  }
}

// Apps get SIGTERM and 20 s (their own budget is 10 s) before SIGKILL.
/**
 * V8 heap settings (README "Memory"). Ingest's small young generation (V8's default is 16 MiB) keeps its
 * RSS under the 150 MiB it is held to and costs CPU: measured 2026-11-30 (bench --only 2, one run each),
 * 2 / 8 / 16 MiB gave 21.7 / 18.4 / 20.4 us of ingest CPU per json-1000 entry and peak RSS 135 / 153 /
 * 171 MiB. Since ingest stopped holding a batch's parsed entries through the Redis round trip and
 * stopped making a string of a whole large body (2026-12-02), 4 MiB fits: ingest alone
 * (tools/bench/ingest-alone.mjs --batch 1000, alternated) 7.2-8.3 us per entry and peak RSS 136-141 MiB
 * against 6.9-10.9 us and 131-136 MiB with 2 MiB, and 7.6-7.8 us and 159-160 MiB with 6 MiB. Ingest's old generation is capped because its heap is bounded by design
 * (MAX_IN_FLIGHT_BODY_BYTES): without a cap V8 lets it grow to 2-3x the live set before collecting. The worker's is capped for the same reason, now that its live set is bounded by
 * READ_MAX_BYTES per read whatever the entries' sizes: at most about 4 reads x 4 MiB x 4 (decoded) = 64 MiB
 * at the defaults, on the 30-40 MiB of heap it uses under batch load; 256 MiB leaves over twice that, so
 * the collector never runs back to back near the limit. Measured (quick bench, 2 and 3): worker peak RSS
 * 113-119 MiB and rise +5-8% instead of 191-199 MiB and +19-37%. With ingest's 2 MiB young generation
 * the worker paid for it in CPU: rows promoted out of it are collected again and again under the cap
 * (tools/bench/worker-drain.mjs v3 200000, 3 runs each, alternated: 11.9-13.0 us per row capped against
 * 8.6-9.9 uncapped, 50.6-53.7k against 53.4-60.7k rows/s). An 8 MiB young generation takes that back
 * (9.3-10.2 us, 56.5-58.2k rows/s) for a peak of 120-132 MiB; its rise in two quick benches was +9% and
 * +12% against +5% and +11% with 2 MiB, within the noise of each other (README "Memory").
 * A NODE_OPTIONS of the caller's own comes after these, so it wins.
 */
export const INGEST_NODE_OPTIONS = '--max-semi-space-size=4 --max-old-space-size=192';
export const WORKER_NODE_OPTIONS = '--max-semi-space-size=8 --max-old-space-size=256';

/**
 * What goes on node's command line before the bundle, because NODE_OPTIONS refuses it (README "Memory"):
 * - `--no-memory-reducer`: V8 builds its memory reducer with the heap and does not read the flag again,
 *   so only the command line turns it off (app-runtime's memoryReducerProblem, which the apps log when
 *   it is missing). Its collections in an idle spell give back heap the next burst takes again.
 * - The young generation's floor at its ceiling: `--min-semi-space-size` equal to the options'
 *   `--max-semi-space-size`, derived from them so the two cannot drift apart. V8 shrinks a young
 *   generation it finds little use for while the process idles; with the floor it keeps half (ingest's
 *   shrank to 4 MiB instead of 1), so a burst after an idle spell grows the RSS by less.
 * Compose, the Kubernetes manifests, the systemd units and the image's CMD put the same on theirs (their
 * tests check it against their NODE_OPTIONS).
 */
function commandLineNodeArgs(nodeOptions) {
  const ceiling = /--max-semi-space-size=(\d+)/.exec(nodeOptions)?.[1];
  return ['--no-memory-reducer', ...(ceiling === undefined ? [] : [`--min-semi-space-size=${ceiling}`])];
}

export const INGEST_NODE_ARGS = commandLineNodeArgs(INGEST_NODE_OPTIONS);
export const WORKER_NODE_ARGS = commandLineNodeArgs(WORKER_NODE_OPTIONS);

function withNodeOptions(env, options) {
  return { ...env, NODE_OPTIONS: [options, env.NODE_OPTIONS].filter(Boolean).join(' ') };
}

const APP_STOP_SIGNALS = [
  ['SIGTERM', 20000],
  ['SIGKILL', 5000],
];

export function ingestService({ config, identityMarker, baseEnv, redisUrl, databaseUrls }, instance) {
  const name = `ingest-${instance}`;
  const port = config.ports[name];
  const script = bundlePath(config.repoRoot, 'ingest');
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    bundle: script,
    identity: { cmdline: [script], marker: identityMarker(name) },
    spawnSpec: () => ({
      command: process.execPath,
      args: [...INGEST_NODE_ARGS, script],
      cwd: config.repoRoot,
      env: withNodeOptions(
        {
          ...baseEnv(name),
          HOST: '127.0.0.1',
          PORT: String(port),
          REDIS_URL: redisUrl,
          // Ingest reads PostgreSQL too (the query API, and readiness reports it), as the read-only role.
          DATABASE_URL: databaseUrls.read,
          READ_DATABASE_URL: databaseUrls.read,
          INSTANCE_ID: name,
          // Two instances: while Redis is away each holds a tenant to half its quota (README "Quota").
          TENANT_QUOTA_INSTANCES: process.env.TENANT_QUOTA_INSTANCES || '2',
          MAX_BODY_BYTES: config.limits.MAX_BODY_BYTES,
          // Syslog TCP+UDP behind nginx's stream front (config.ports.syslog); no TLS in the stack.
          SYSLOG_ENABLED: 'true',
          SYSLOG_TCP_PORT: String(config.ports[`${name}-syslog`]),
          SYSLOG_UDP_PORT: String(config.ports[`${name}-syslog`]),
          SYSLOG_TLS_PORT: '0',
        },
        INGEST_NODE_OPTIONS,
      ),
    }),
    probe: () => probeHttp(`http://127.0.0.1:${port}/health/ready`),
    stop: (pid) => stopProcess(pid, APP_STOP_SIGNALS),
  };
}

export function workerService({ config, identityMarker, baseEnv, redisUrl, databaseUrls }) {
  const port = config.ports.worker;
  const script = bundlePath(config.repoRoot, 'worker');
  return {
    name: 'worker',
    port,
    url: `http://127.0.0.1:${port}`,
    bundle: script,
    identity: { cmdline: [script], marker: identityMarker('worker') },
    spawnSpec: () => ({
      command: process.execPath,
      args: [...WORKER_NODE_ARGS, script],
      cwd: config.repoRoot,
      env: withNodeOptions(
        {
          ...baseEnv('worker'),
          REDIS_URL: redisUrl,
          // The writer role: INSERT and SELECT on logs, no DDL.
          DATABASE_URL: databaseUrls.worker,
          // The stack runs migrate.js itself before starting the worker.
          DB_MIGRATE: 'false',
          WORKER_NAME: 'worker-1',
          HEALTH_HOST: '127.0.0.1',
          HEALTH_PORT: String(port),
        },
        WORKER_NODE_OPTIONS,
      ),
    }),
    probe: () => probeHttp(`http://127.0.0.1:${port}/health/ready`),
    stop: (pid) => stopProcess(pid, APP_STOP_SIGNALS),
  };
}
