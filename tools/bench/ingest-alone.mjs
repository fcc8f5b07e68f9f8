#!/usr/bin/env node
// Ingest's own CPU per single-entry request, beside the node:http floor's, without nginx, the worker or
// PostgreSQL competing for the two cores. In the bench's scenario 1 every stage shares the machine, so
// ingest's share moves with the others; here one built ingest instance (dist/apps/ingest, the bench's
// settings: no tenant quota, no age limit, no API keys) and one floor server
// (tools/bench/ceilings/node-http-floor) take turns on a private Redis, each loaded by wrk straight on
// its port with the same one-entry body, and each round reports the CPU the server process used per
// answered request (utime + stime from /proc, so other load on the machine distorts it less than a rate).
// Redis is emptied between runs (nothing reads the stream here).
//
//   npx nx run ingest:build:production                         # what it measures is the built ingest
//   node tools/bench/ingest-alone.mjs [--rounds 5] [--seconds 10] [--connections 32]
//   node tools/bench/ingest-alone.mjs --batch 1000 --connections 8   # POST /api/logs, 1,000 entries a request
//   node tools/bench/ingest-alone.mjs --batch 1000 --gzip --connections 8   # the same entries as gzip NDJSON
//   node tools/bench/ingest-alone.mjs --protocols --connections 8    # each way in, 1,000 entries a request
//   INGEST_JS=dist/ingest-old/main.js node tools/bench/ingest-alone.mjs ...  # another build of ingest
//
// --protocols runs no floor: ingest alone takes the protocols scenario's four bodies (POST /api/logs
// json-1000, OTLP protobuf, Loki protobuf + snappy, Elasticsearch bulk) in rotated rounds and reports each
// one's CPU per entry and its ratio to /api/logs in the same round: issue 10's comparison without the
// worker, PostgreSQL and nginx sharing the two cores.
//
// Both report user and system CPU apart: large request bodies cost system time (page faults of memory
// the process maps and unmaps per request) as well as JavaScript.
//
// Use it to weigh a change to ingest's request path (a framework upgrade, a hook): run it before and
// after and compare the ratio to the floor, which absorbs the machine's speed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INGEST_NODE_ARGS, INGEST_NODE_OPTIONS } from '../stack/lib/apps.mjs';
import { buildFloorServer } from './ceilings/node-http-floor.mjs';
import { PROTOCOL_YARDSTICK } from './lib/figures.mjs';
import { loadAverage } from './lib/machine.mjs';
import { makeBodies, makeEntries, makeEntry } from './lib/payload.mjs';
import { parsePositiveIntegerOptions, UsageError } from './lib/options.mjs';
import { memoryOf, parseStat } from './lib/proc-stats.mjs';
import { pollUntil, sleep } from './lib/sleep.mjs';
import { summarize } from './lib/stats.mjs';
import { tsRequire } from './lib/ts-sources.mjs';
import { runWrk, writeBodyFile } from './lib/wrk.mjs';
import { PROTOCOL_ENTRIES, protocolBodies, roundOrder } from './scenarios/protocols.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');
// Linux reports CPU times in USER_HZ ticks, 100 a second.
const MICROSECONDS_PER_TICK = 10_000;

function parseArgs(argv) {
  const protocols = argv.includes('--protocols');
  const gzip = argv.includes('--gzip');
  const opts = parsePositiveIntegerOptions(
    argv.filter((arg) => arg !== '--protocols' && arg !== '--gzip'),
    {
      defaults: { rounds: 5, seconds: 10, connections: 32, batch: 0, warmupSeconds: 3 },
      flags: {
        '--rounds': 'rounds',
        '--seconds': 'seconds',
        '--connections': 'connections',
        '--batch': 'batch',
      },
      usage:
        'usage: node tools/bench/ingest-alone.mjs [--rounds N] [--seconds S] [--connections C] [--batch ENTRIES [--gzip] | --protocols]',
    },
  );
  if (protocols && opts.batch !== 0)
    throw new UsageError('--protocols sends its own bodies; leave out --batch');
  if (gzip && opts.batch === 0)
    throw new UsageError('--gzip needs --batch: it sends the batch as gzip NDJSON');
  return { ...opts, protocols, gzip };
}

// The throw-away redis-server and the free ports of stream-client's test support.
const { PrivateRedisServer, findFreePort } = tsRequire()('@logpipe/stream-client/testing');

/** The process's CPU ticks so far: { ticks (user + system), systemTicks }. */
function cpuTimes(pid) {
  return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

function startProcess(name, command, args, env) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    name,
    pid: child.pid,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
    },
  };
}

async function waitForHttp(server, url) {
  const { timedOut } = await pollUntil(
    async () => {
      try {
        await fetch(url, { signal: AbortSignal.timeout(1000) });
        return true;
      } catch {
        return false;
      }
    },
    { intervalMs: 100, timeoutMs: 30_000 },
  );
  if (timedOut) throw new Error(`${server.name} did not answer on ${url}:\n${server.stderr()}`);
}

function redisCli(port, ...args) {
  const result = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

async function measure(server, port, load, opts, durationS) {
  const before = cpuTimes(server.pid);
  const wrk = await runWrk({
    url: `http://127.0.0.1:${port}${load.path}`,
    bodyFile: load.bodyFile,
    format: load.format ?? 'json',
    connections: opts.connections,
    threads: 1,
    durationS,
  });
  const after = cpuTimes(server.pid);
  const ticks = after.ticks - before.ticks;
  return {
    ok: wrk.ok,
    non2xx: wrk.non2xx,
    rps: wrk.ok / wrk.durationS,
    cpuPercent: (ticks / (wrk.durationS * 100)) * 100,
    systemShare: ticks > 0 ? (after.systemTicks - before.systemTicks) / ticks : 0,
    microsPerRequest: wrk.ok > 0 ? (ticks * MICROSECONDS_PER_TICK) / wrk.ok : Number.NaN,
  };
}

/**
 * --protocols: ingest alone takes the protocols scenario's bodies in rounds (rotated as the scenario
 * rotates them) and each protocol's CPU per entry is compared with /api/logs json-1000's in its round.
 */
async function measureProtocols(opts, ingest, port, redis, workDir) {
  // The /api/logs body as the bench's batch bodies make it; the protocols' from their payload scripts.
  const json = JSON.stringify(makeEntries(PROTOCOL_ENTRIES));
  const jsonName = `json-${PROTOCOL_ENTRIES}`;
  const bodies = protocolBodies({
    bodies: { [jsonName]: { entries: PROTOCOL_ENTRIES, body: Buffer.from(json) } },
    bodyFiles: { [jsonName]: writeBodyFile(workDir, jsonName, json) },
    runDir: workDir,
    repoRoot,
  });
  const loadOf = (variant) => ({ path: variant.path, format: variant.format, bodyFile: variant.file });
  process.stdout.write(
    `ingest alone, each way in: ${opts.rounds} rounds × ${opts.seconds} s per variant, wrk -t1 -c${opts.connections} straight on its port, ${PROTOCOL_ENTRIES} entries a request; load average before ${loadAverage().join(' ')}\n`,
  );
  for (const variant of Object.values(bodies))
    await measure(ingest, port, loadOf(variant), opts, opts.warmupSeconds);
  const perEntry = Object.fromEntries(Object.keys(bodies).map((name) => [name, []]));
  const ofApi = Object.fromEntries(Object.keys(bodies).map((name) => [name, []]));
  for (let round = 1; round <= opts.rounds; round += 1) {
    const inRound = {};
    for (const { name } of roundOrder(round)) {
      redisCli(redis.port, 'FLUSHALL');
      const run = await measure(ingest, port, loadOf(bodies[name]), opts, opts.seconds);
      inRound[name] = run.microsPerRequest / PROTOCOL_ENTRIES;
      perEntry[name].push(inRound[name]);
      process.stdout.write(
        `  round ${round} ${name.padEnd(20)} ${fmt(run.rps, 0).padStart(5)} req/s  ${fmt(inRound[name], 2).padStart(6)} µs CPU per entry (${fmt(run.systemShare * 100, 0)}% system)  non-2xx ${run.non2xx}\n`,
      );
    }
    for (const name of Object.keys(bodies)) ofApi[name].push(inRound[name] / inRound[PROTOCOL_YARDSTICK]);
  }
  process.stdout.write(
    '\n| variant | µs CPU per entry, median (min–max) | ÷ /api/logs json-1000 in its round, median (min–max) |\n| --- | ---: | ---: |\n',
  );
  for (const name of Object.keys(bodies)) {
    const cost = summarize(perEntry[name]);
    const ratio = summarize(ofApi[name]);
    process.stdout.write(
      `| ${name} | ${fmt(cost.median, 2)} (${fmt(cost.min, 2)}–${fmt(cost.max, 2)}) | ${name === PROTOCOL_YARDSTICK ? '—' : `${fmt(ratio.median * 100, 0)}% (${fmt(ratio.min * 100, 0)}–${fmt(ratio.max * 100, 0)}%)`} |\n`,
    );
  }
  process.stdout.write(
    `\npeak RSS ${fmt(memoryOf(ingest.pid).hwmKiB / 1024, 0)} MiB; load average after ${loadAverage().join(' ')}\n`,
  );
}

const fmt = (value, digits = 1) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—';

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  // INGEST_JS: another build to weigh against this one (keep it inside the repo, for node_modules).
  const ingestMain = resolve(process.env.INGEST_JS ?? join(repoRoot, 'dist/apps/ingest/main.js'));
  if (!existsSync(ingestMain)) {
    throw new Error(`${ingestMain} is missing: run npx nx run ingest:build:production first`);
  }
  const floorMain = opts.protocols ? null : buildFloorServer(repoRoot);
  const workDir = mkdtempSync(join(tmpdir(), 'logpipe-ingest-alone-'));
  // The entries' own timestamps: fixed, as in the bench (ingest runs without an age limit here).
  const load =
    opts.batch === 0
      ? {
          path: '/api/log',
          entries: 1,
          bodyFile: writeBodyFile(workDir, 'single', JSON.stringify(makeEntry(1))),
        }
      : opts.gzip
        ? {
            path: '/api/logs',
            entries: opts.batch,
            format: 'ndjson-gzip',
            // The very body of the stack bench's gzip variant.
            bodyFile: writeBodyFile(
              workDir,
              `ndjson-gzip-${opts.batch}`,
              makeBodies({ batchSizes: [opts.batch] })[`ndjson-gzip-${opts.batch}`].body,
            ),
          }
        : {
            path: '/api/logs',
            entries: opts.batch,
            bodyFile: writeBodyFile(workDir, `json-${opts.batch}`, JSON.stringify(makeEntries(opts.batch))),
          };
  const [ingestPort, floorPort] = [await findFreePort(), await findFreePort()];
  const redis = await PrivateRedisServer.start();
  const servers = [];
  try {
    const common = {
      ...process.env,
      NODE_OPTIONS: INGEST_NODE_OPTIONS,
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      ENTRY_MAX_AGE: '0',
    };
    // INGEST_ALONE_NODE_ARGS: flags for both servers' node, e.g. --cpu-prof --cpu-prof-dir=.bench/prof,
    // after the stack's own.
    const nodeArgs = [
      ...INGEST_NODE_ARGS,
      ...(process.env.INGEST_ALONE_NODE_ARGS ?? '').split(' ').filter(Boolean),
    ];
    const ingest = startProcess('ingest', process.execPath, [...nodeArgs, ingestMain], {
      ...common,
      PORT: String(ingestPort),
      INSTANCE_ID: 'ingest-alone',
      TENANT_QUOTA_PER_SECOND: '0',
      SYSLOG_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      // Nothing drains the stream here; the runs below stay far under this, and Redis is emptied between them.
      BACKLOG_HIGH_WATER: '100000000',
      // Reads are not used; the default would point at the shared server's postgres database.
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
    });
    servers.push(ingest);
    if (opts.protocols) {
      await waitForHttp(ingest, `http://127.0.0.1:${ingestPort}/health/live`);
      await measureProtocols(opts, ingest, ingestPort, redis, workDir);
      return;
    }
    const floor = startProcess('floor', process.execPath, [...nodeArgs, floorMain], {
      ...common,
      PORT: String(floorPort),
      INSTANCE_ID: 'floor-alone',
    });
    servers.push(floor);
    await waitForHttp(ingest, `http://127.0.0.1:${ingestPort}/health/live`);
    await waitForHttp(floor, `http://127.0.0.1:${floorPort}/`);

    const targets = [
      { name: 'ingest', server: ingest, port: ingestPort, runs: [] },
      { name: 'floor', server: floor, port: floorPort, runs: [] },
    ];
    process.stdout.write(
      `ingest alone vs the node:http floor: ${opts.rounds} rounds × ${opts.seconds} s, wrk -t1 -c${opts.connections} straight on each port, POST ${load.path} with ${load.entries === 1 ? 'one entry' : `${load.entries} entries (${opts.gzip ? 'gzip NDJSON' : 'a JSON array'})`}; load average before ${loadAverage().join(' ')}\n`,
    );
    for (const target of targets) await measure(target.server, target.port, load, opts, opts.warmupSeconds);
    for (let round = 1; round <= opts.rounds; round += 1) {
      // Alternate who goes first, so a drift in the machine's speed does not favour one of them.
      const order = round % 2 === 1 ? targets : [...targets].reverse();
      for (const target of order) {
        redisCli(redis.port, 'FLUSHALL');
        const run = await measure(target.server, target.port, load, opts, opts.seconds);
        target.runs.push(run);
        process.stdout.write(
          `  round ${round} ${target.name.padEnd(6)} ${fmt(run.rps, 0).padStart(7)} req/s  ${fmt(run.cpuPercent, 0).padStart(3)}% of a core  ${fmt(run.microsPerRequest).padStart(6)} µs CPU/request (${fmt(run.microsPerRequest / load.entries, 2)} per entry, ${fmt(run.systemShare * 100, 0)}% system)  non-2xx ${run.non2xx}\n`,
        );
      }
    }
    const [ingestRuns, floorRuns] = targets.map((target) => target.runs);
    const cost = targets.map((target) => summarize(target.runs.map((run) => run.microsPerRequest)));
    const ratios = summarize(
      ingestRuns.map((run, i) => run.microsPerRequest / floorRuns[i].microsPerRequest),
    );
    process.stdout.write(
      '\n| server | µs CPU per request, median (min–max) | µs CPU per entry | system share of the CPU | req/s, median | peak RSS, MiB |\n| --- | ---: | ---: | ---: | ---: | ---: |\n',
    );
    targets.forEach((target, i) => {
      const rps = summarize(target.runs.map((run) => run.rps));
      const system = summarize(target.runs.map((run) => run.systemShare * 100));
      process.stdout.write(
        `| ${target.name} | ${fmt(cost[i].median)} (${fmt(cost[i].min)}–${fmt(cost[i].max)}) | ${fmt(cost[i].median / load.entries, 2)} | ${fmt(system.median, 0)}% | ${fmt(rps.median, 0)} | ${fmt(memoryOf(target.server.pid).hwmKiB / 1024, 0)} |\n`,
      );
    });
    process.stdout.write(
      `\ningest ÷ floor, CPU per request, each round's pair: median ${fmt(ratios.median, 2)}× (${fmt(ratios.min, 2)}–${fmt(ratios.max, 2)}); load average after ${loadAverage().join(' ')}\n`,
    );
    const refused = [...ingestRuns, ...floorRuns].reduce((sum, run) => sum + run.non2xx, 0);
    if (refused > 0) {
      process.stdout.write(`warning: ${refused} answers were not 2xx; the figures count only 2xx answers\n`);
    }
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await redis.destroy();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof UsageError ? error.message : (error.stack ?? error)}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
