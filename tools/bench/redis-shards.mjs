#!/usr/bin/env node
// Redis CPU per appended entry: one plain Redis with the stream unsharded, the same Redis with the
// stream split over hash-tagged shards, and a Redis Cluster of masters (no replicas) with the same
// shards. Every append goes through the real StreamProducer of libs/stream-client (its Lua script,
// its keys, its ioredis client, single or Cluster), in batches of 1,000 entries validated and encoded by
// libs/log-schema exactly as ingest does, so Redis sees what ingest would send it.
//
//   node tools/bench/redis-shards.mjs [--rounds 5] [--batches 300] [--in-flight 4] [--shards 3] [--masters 3]
//
// It starts its own redis-servers (free ports, temp data folders, --save "" --appendonly no, never
// 127.0.0.1:6379) and stops them by PID at the end, on an error and on SIGINT/SIGTERM. Redis CPU is
// read from INFO cpu (getrusage of the server process: main thread, I/O and background threads, in µs)
// before and after each measured run, so other load on the machine changes it far less than the wall
// time; the appends per second it also prints are wall-clock and move with that load.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parsePositiveIntegerOptions, UsageError } from './lib/options.mjs';
import { makeEntry } from './lib/payload.mjs';
import { tsRequire } from './lib/ts-sources.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);
const BATCH_ENTRIES = 1000;
// Distinct pre-encoded batches cycled through: enough variety that values are not all identical,
// few enough that encoding them costs nothing measurable next to the run.
const DISTINCT_BATCHES = 20;
const WARMUP_BATCHES = 20;

function parseArgs(argv) {
  return parsePositiveIntegerOptions(argv, {
    defaults: { rounds: 5, batches: 300, inFlight: 4, shards: 3, masters: 3 },
    flags: {
      '--rounds': 'rounds',
      '--batches': 'batches',
      '--in-flight': 'inFlight',
      '--shards': 'shards',
      '--masters': 'masters',
    },
    usage:
      'node tools/bench/redis-shards.mjs [--rounds N] [--batches N] [--in-flight N] [--shards N] [--masters N]',
  });
}

/** The ingest sources this harness runs (tools/bench/lib/ts-sources.mjs loads TypeScript). */
function loadSources() {
  const require = tsRequire();
  const streamClient = require(join(repoRoot, 'libs/stream-client/src/index.ts'));
  const logSchema = require(join(repoRoot, 'libs/log-schema/src/index.ts'));
  const { shardTag } = require(join(repoRoot, 'libs/stream-client/src/testing.ts'));
  return {
    ...streamClient,
    shardTag,
    ...logSchema,
    Redis: require('ioredis').Redis,
    Cluster: require('ioredis').Cluster,
  };
}

/** What ingest XADDs for a batch of the bench's realistic entries: validated, then encoded. */
function makeBatches(src) {
  const batches = [];
  for (let b = 0; b < DISTINCT_BATCHES; b++) {
    const inputs = Array.from({ length: BATCH_ENTRIES }, (_, i) => makeEntry(b * BATCH_ENTRIES + i));
    const result = src.validateLogBatch(inputs, { receivedAtMs: Date.now(), tenant: src.DEFAULT_TENANT });
    if (!result.ok)
      throw new Error(`bench entries failed validation: ${JSON.stringify(result).slice(0, 300)}`);
    batches.push(result.entries.map(src.encodeLogEntry));
  }
  return batches;
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive free ports whose cluster bus ports (port + 10000) are free too; never 6379. */
async function findFreePorts(count) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 21000 + Math.floor(Math.random() * 20000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = await Promise.all(ports.flatMap((port) => [portIsFree(port), portIsFree(port + 10000)]));
    if (free.every(Boolean)) return ports;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

/** Every redis-server this run started, so they can be stopped by PID whatever happens. */
const servers = [];
const dataRoot = mkdtempSync(join(tmpdir(), 'redis-shards-bench-'));

async function startServer(port, extraArgs) {
  const dir = join(dataRoot, String(port));
  mkdirSync(dir);
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    ...extraArgs,
  ];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  servers.push(child);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pong = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'PING'], {
      timeout: 2000,
    }).then(
      ({ stdout }) => stdout.trim() === 'PONG',
      () => false,
    );
    if (pong) return child;
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`redis-server on ${port} did not start`);
    await sleep(50);
  }
}

async function startCluster(masters) {
  const ports = await findFreePorts(masters);
  for (const port of ports) {
    await startServer(port, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']);
  }
  await run(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ],
    { timeout: 30_000 },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const infos = await Promise.all(
      ports.map((port) =>
        run('redis-cli', ['-p', String(port), 'CLUSTER', 'INFO'], { timeout: 2000 }).then(
          ({ stdout }) => stdout,
          () => '',
        ),
      ),
    );
    if (infos.every((info) => info.includes('cluster_state:ok'))) return ports;
    if (Date.now() > deadline) throw new Error('cluster not ok within 30 s');
    await sleep(200);
  }
}

async function stopServers() {
  await Promise.all(
    servers.map((child) => {
      if (child.exitCode !== null || child.signalCode !== null) return undefined;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGKILL');
      return exited;
    }),
  );
  rmSync(dataRoot, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopServers().finally(() => process.exit(130));
  });
}

/** used_cpu_sys + used_cpu_user of the server on `port`, in µs (INFO cpu: getrusage of its process). */
async function serverCpuMicros(admin) {
  const info = await admin.info('cpu');
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)[1]);
  return Math.round((field('used_cpu_sys') + field('used_cpu_user')) * 1e6);
}

/** Appends `count` batches through the producer, `inFlight` at a time. */
async function append(producer, batches, count, inFlight) {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const ids = await producer.appendMany(batches[next++ % batches.length]);
      if (ids.length !== BATCH_ENTRIES) throw new Error(`appendMany returned ${ids.length} ids`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

/** One measured run of a variant: a fresh producer on fresh keys, a warm-up, then the counted batches. */
async function measure(src, variant, round, batches, opts) {
  const streamKey = `bench${round}${variant.name.replace(/\W/g, '')}:stream`;
  const options = src.resolveStreamClientOptions({
    redisUrl: `redis://127.0.0.1:${variant.ports[0]}/0`,
    clusterNodes: variant.cluster ? variant.ports.map((port) => `127.0.0.1:${port}`) : [],
    shardCount: variant.shards,
    streamKey,
    deadLetterStreamKey: `bench${round}${variant.name.replace(/\W/g, '')}:dead`,
    // Generous: a loaded machine must not turn a slow answer into a failed run; it changes no Redis work.
    commandTimeoutMs: 10_000,
    connectionName: 'redis-shards-bench',
  });
  const producer = new src.StreamProducer(options);
  await producer.onModuleInit();
  if (!producer.isReady) throw new Error(`${variant.name}: producer not ready`);
  try {
    await append(producer, batches, WARMUP_BATCHES, opts.inFlight);
    const before = await Promise.all(variant.admins.map(serverCpuMicros));
    const started = process.hrtime.bigint();
    await append(producer, batches, opts.batches, opts.inFlight);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const after = await Promise.all(variant.admins.map(serverCpuMicros));
    const entries = opts.batches * BATCH_ENTRIES;
    const perServer = after.map((micros, i) => (micros - before[i]) / entries);
    const backlog = await producer.backlog();
    if (backlog.total !== (opts.batches + WARMUP_BATCHES) * BATCH_ENTRIES) {
      throw new Error(`${variant.name}: ${backlog.total} entries in the stream, expected more`);
    }
    // Drop the keys between runs (outside the measured window) so memory does not grow round after round.
    for (const shard of producer.shards) {
      const admin = variant.cluster ? variant.clusterAdmin : variant.admins[0];
      await admin.del(shard.streamKey);
    }
    return {
      total: perServer.reduce((sum, value) => sum + value, 0),
      perServer,
      appendsPerSecond: entries / seconds,
      shardBacklog: backlog.shards,
    };
  } finally {
    await producer.onApplicationShutdown();
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (value, digits = 2) => value.toFixed(digits);
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const src = loadSources();
  const batches = makeBatches(src);
  const valueBytes = batches[0].reduce((sum, value) => sum + Buffer.byteLength(value), 0) / BATCH_ENTRIES;

  const [singlePort] = await findFreePorts(1);
  await startServer(singlePort, []);
  const clusterPorts = await startCluster(opts.masters);
  const singleAdmin = new src.Redis({ port: singlePort, host: '127.0.0.1' });
  const clusterAdmins = clusterPorts.map((port) => new src.Redis({ port, host: '127.0.0.1' }));
  const clusterClient = new src.Cluster(clusterPorts.map((port) => ({ host: '127.0.0.1', port })));

  const variants = [
    {
      name: 'single, 1 shard (plain keys)',
      ports: [singlePort],
      cluster: false,
      shards: 1,
      admins: [singleAdmin],
    },
    {
      name: `single, ${opts.shards} shards (tagged)`,
      ports: [singlePort],
      cluster: false,
      shards: opts.shards,
      admins: [singleAdmin],
    },
    {
      name: `cluster ${opts.masters} masters, ${opts.shards} shards`,
      ports: clusterPorts,
      cluster: true,
      shards: opts.shards,
      admins: clusterAdmins,
      clusterAdmin: clusterClient,
    },
  ];

  // Which master serves each shard's slot: the shard keys' hash tags (stream-client's shardTag) decide it.
  const shardSlots = [];
  for (let index = 0; index < opts.shards; index++) {
    shardSlots.push(
      Number(
        await clusterAdmins[0].call('CLUSTER', 'KEYSLOT', `x:{${src.shardTag(index, opts.shards)}}:stream`),
      ),
    );
  }
  const slotRanges = await clusterAdmins[0].call('CLUSTER', 'SLOTS');
  const masterOfSlot = (slot) => {
    const range = slotRanges.find(([from, to]) => slot >= from && slot <= to);
    return range ? range[2][1] : -1;
  };

  process.stdout.write(
    `redis-shards bench: ${opts.rounds} rounds × ${opts.batches} batches of ${BATCH_ENTRIES} entries, ${opts.inFlight} in flight, ` +
      `${fmt(valueBytes, 0)} bytes per stream value; redis-server ${(await run('redis-server', ['--version'])).stdout.trim().split(' ')[2]}\n` +
      `single Redis :${singlePort}; cluster masters ${clusterPorts.map((port) => `:${port}`).join(' ')} (no replicas, appendonly no)\n` +
      `cluster shard -> slot -> master: ${shardSlots.map((slot, i) => `${src.shardTag(i, opts.shards)} -> ${slot} -> :${masterOfSlot(slot)}`).join(', ')}\n` +
      `start ${new Date().toISOString()}, load average ${load()}\n\n`,
  );

  const results = new Map(variants.map((variant) => [variant.name, []]));
  for (let round = 1; round <= opts.rounds; round++) {
    // Rotate the order each round so no variant always runs first (or right after the same neighbour).
    const order = variants.map((_, i) => variants[(i + round - 1) % variants.length]);
    for (const variant of order) {
      const result = await measure(src, variant, round, batches, opts);
      results.get(variant.name).push(result);
      const perServer = variant.cluster
        ? ` (per master ${result.perServer.map((value) => fmt(value)).join(' / ')})`
        : '';
      process.stdout.write(
        `round ${round}  ${variant.name.padEnd(30)} Redis CPU ${fmt(result.total)} µs/entry${perServer}, ` +
          `${Math.round(result.appendsPerSecond)} entries/s wall, load ${load()}\n`,
      );
    }
  }

  process.stdout.write(
    `\nmedians over ${opts.rounds} rounds (end ${new Date().toISOString()}, load average ${load()}):\n`,
  );
  const baseline = median(results.get(variants[0].name).map((result) => result.total));
  for (const variant of variants) {
    const runs = results.get(variant.name);
    const total = median(runs.map((result) => result.total));
    const perServer = variant.admins.map((_, i) => median(runs.map((result) => result.perServer[i])));
    const wall = median(runs.map((result) => result.appendsPerSecond));
    process.stdout.write(
      `  ${variant.name.padEnd(30)} ${fmt(total)} µs of Redis CPU per entry (${total >= baseline ? '+' : ''}${fmt(((total - baseline) / baseline) * 100, 0)}% vs single 1 shard)` +
        (variant.cluster ? `, per master ${perServer.map((value) => fmt(value)).join(' / ')}` : '') +
        `; ${Math.round(wall)} entries/s wall (noisy)\n`,
    );
  }

  await Promise.all([
    singleAdmin.quit(),
    ...clusterAdmins.map((admin) => admin.quit()),
    clusterClient.quit(),
  ]);
}

main()
  .catch((error) => {
    process.stderr.write(`${error instanceof UsageError ? error.message : (error.stack ?? error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  })
  .finally(stopServers);
