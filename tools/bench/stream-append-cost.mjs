#!/usr/bin/env node
// CPU cost per entry of appending to Redis: ingest's own process (process.cpuUsage) and Redis'
// (INFO cpu, used_cpu_user + used_cpu_sys) per log entry, against a private redis-server this tool starts
// (no persistence, nobody else's commands), for the bench's json-1000 body and a single entry, through
// the real ingest code (LogsController -> LogIngestService -> StreamProducer) of the checkout at --root.
// Run it on two checkouts back to back to compare them:
//
//   node tools/bench/stream-append-cost.mjs --root /path/to/main
//   node tools/bench/stream-append-cost.mjs                       # this checkout
//   node tools/bench/stream-append-cost.mjs --concurrency 1       # single entries one at a time
//   node tools/bench/stream-append-cost.mjs --ways                # single-entry append: XADD vs script vs MULTI
//
// --ways measures the ways to XADD one entry and count it (StreamShard.entriesKey) with plain ioredis:
// what decided StreamProducer's one-entry script.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { makeBodies, makeEntry } from './lib/payload.mjs';
import { repoRoot as thisRoot } from './lib/ts-sources.mjs';

function parseArgs(argv) {
  const opts = { root: thisRoot, rounds: 7, warmup: 2, concurrency: 16, port: 6391, ways: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (name === '--ways') {
      opts.ways = true;
      continue;
    }
    if (name === '--root') opts.root = resolve(value);
    else if (name === '--rounds') opts.rounds = Number(value);
    else if (name === '--warmup') opts.warmup = Number(value);
    else if (name === '--concurrency') opts.concurrency = Number(value);
    else if (name === '--port') opts.port = Number(value);
    else if (name === '--only') opts.only = new Set(value.split(','));
    else throw new Error(`unknown option ${name}`);
    i++;
  }
  return opts;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const range = (values) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** A redis-server of our own: its CPU counters then hold only this tool's commands. */
async function startRedis(port) {
  // A server already on the port would answer in place of ours, with its own clients' CPU.
  const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  const taken = await probe.connect().then(
    () => true,
    () => false,
  );
  probe.disconnect();
  if (taken) throw new Error(`port ${port} already has a server: pass --port`);
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  let admin;
  for (let attempt = 0; ; attempt++) {
    // A server already on the port would answer in its place, with its own clients' CPU.
    if (exited) throw new Error(`redis-server did not start on port ${port} (in use? pass --port)`);
    admin = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    try {
      await admin.connect();
      break;
    } catch (error) {
      admin.disconnect();
      if (attempt > 50) throw error;
      await sleep(100);
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    admin,
    async cpuSeconds() {
      const info = await admin.info('cpu');
      const field = (name) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)[1]);
      return field('used_cpu_user') + field('used_cpu_sys');
    },
    async stop() {
      admin.disconnect();
      child.kill('SIGTERM');
      await new Promise((done) => child.once('exit', done));
    },
  };
}

/** Runs `count` calls of `run`, `concurrency` at a time; returns microseconds of CPU, ours and Redis'. */
async function measure(redis, count, concurrency, run) {
  const redisBefore = await redis.cpuSeconds();
  const before = process.cpuUsage();
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      await run();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const used = process.cpuUsage(before);
  return { ours: used.user + used.system, redis: ((await redis.cpuSeconds()) - redisBefore) * 1e6 };
}

/** The checkout's ingest path over a real StreamProducer; quota and backpressure pass everything. */
async function ingestVariants(root, redisUrl, streamKey, singleConcurrency) {
  const { tsRequire } = await import(join(root, 'tools/bench/lib/ts-sources.mjs'));
  const require = tsRequire();
  const { LogIngestService } = require(join(root, 'apps/ingest/src/app/logs/log-ingest.service.ts'));
  const { LogsController } = require(join(root, 'apps/ingest/src/app/logs/logs.controller.ts'));
  const { StreamProducer, resolveStreamClientOptions } = require(
    join(root, 'libs/stream-client/src/index.ts'),
  );
  const secureJson = require('secure-json-parse');
  const producer = new StreamProducer(resolveStreamClientOptions({ redisUrl, streamKey }));
  await producer.onModuleInit();
  // The bench stack's settings; CHUNK_* at ingest's defaults (a checkout without chunks ignores them).
  const settings = {
    MAX_BATCH_ENTRIES: 10000,
    ENTRY_MAX_AGE: 0,
    ENTRY_MAX_FUTURE: 0,
    CHUNK_MAX_ENTRIES: 500,
    CHUNK_MAX_BYTES: 256 * 1024,
  };
  const config = { get: (key) => settings[key] };
  const backlog = { assertAccepting() {}, admit: (_entries, write) => write() };
  const quota = { take() {} };
  // Ingest's frame pool (half its default in-flight budget), where the checkout has one.
  const { BodyFramePool } = require(join(root, 'libs/log-schema/src/index.ts'));
  const framePool = BodyFramePool === undefined ? undefined : new BodyFramePool(4 * 1024 * 1024);
  const logs = new LogsController(new LogIngestService(producer, backlog, config, quota, framePool));
  const bodies = makeBodies({ batchSizes: [1000] });
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  // body-parsers.ts: strict UTF-8, then JSON without prototype-pollution keys: through
  // @logpipe/protocol-wire-text where the checkout has it (the keys searched for in the bytes first),
  // else secure-json-parse with the options body-parsers.ts gave it.
  const wireTextSource = join(root, 'libs/protocols/wire-text/src/index.ts');
  const wireText = existsSync(wireTextSource) ? require(wireTextSource) : null;
  const parse = (body) =>
    wireText === null
      ? secureJson.parse(utf8.decode(body), undefined, { protoAction: 'error', constructorAction: 'error' })
      : wireText.parseJsonRefusingPrototypeKeys(utf8.decode(body), wireText.mayHoldPrototypeKeys(body));
  return {
    producer,
    variants: [
      {
        name: 'api-json-1000',
        entriesPerCall: 1000,
        calls: 24,
        concurrency: 8,
        run: async () => JSON.stringify(await logs.submitMany(parse(bodies['json-1000'].body), 'default')),
      },
      {
        name: 'api-log-single',
        entriesPerCall: 1,
        calls: 4000,
        // Requests in flight: the single entries of one turn share chunks (SingleEntryChunks).
        concurrency: singleConcurrency,
        run: async () => JSON.stringify(await logs.submitOne(parse(bodies.single.body), 'default')),
      },
    ],
  };
}

const ENTRY_SCRIPT = `#!lua
local id = redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[2])
redis.call('INCRBY', KEYS[2], 1)
return id`;

/** The ways to append one entry and count it, with ioredis as StreamProducer configures it. */
function wayVariants(redisUrl, streamKey) {
  const redis = new Redis(redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: 0 });
  const entriesKey = `${streamKey}:entries`;
  redis.defineCommand('appendEntry', { numberOfKeys: 2, lua: ENTRY_SCRIPT });
  redis.defineCommand('appendChunks', {
    numberOfKeys: 2,
    lua: `#!lua
local ids = {}
for i = 3, #ARGV do
  ids[i - 2] = redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[i])
end
redis.call('INCRBY', KEYS[2], ARGV[2])
return ids`,
  });
  // A version 2 value of the bench's single entry, as ingest encodes it.
  const entry = makeEntry(0);
  const at = Date.parse(entry.timestamp);
  const value = JSON.stringify([
    2,
    at,
    at,
    entry.level,
    entry.service,
    entry.message,
    entry.attributes,
    null,
    null,
    null,
    'default',
  ]);
  const entrySha = createHash('sha1').update(ENTRY_SCRIPT).digest('hex');
  void redis.script('LOAD', ENTRY_SCRIPT);
  const ways = {
    'xadd (no counter)': () => redis.xadd(streamKey, '*', 'data', value),
    'xadd + incrby': () =>
      Promise.all([redis.xadd(streamKey, '*', 'data', value), redis.incrby(entriesKey, 1)]),
    'multi xadd incrby': () => redis.multi().xadd(streamKey, '*', 'data', value).incrby(entriesKey, 1).exec(),
    'one-entry script': () => redis.appendEntry(streamKey, entriesKey, 'data', value),
    // The same script as a plain EVALSHA command (no ioredis Script wrapper); loaded below.
    'one-entry script, bare evalsha': () => redis.evalsha(entrySha, 2, streamKey, entriesKey, 'data', value),
    'chunk script, 1 value': () => redis.appendChunks(streamKey, entriesKey, 'data', 1, value),
  };
  return {
    producer: { onApplicationShutdown: async () => redis.disconnect() },
    variants: Object.entries(ways).map(([name, run]) => ({
      name,
      entriesPerCall: 1,
      calls: 10000,
      concurrency: 16,
      run,
    })),
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const redis = await startRedis(opts.port);
  const streamKey = 'cost:stream';
  try {
    const { producer, variants } = opts.ways
      ? wayVariants(redis.url, streamKey)
      : await ingestVariants(opts.root, redis.url, streamKey, opts.concurrency);
    const chosen = variants.filter((v) => opts.only === null || opts.only.has(v.name));
    const results = new Map(chosen.map((v) => [v.name, { ours: [], redis: [], streamEntries: 0 }]));
    process.stdout.write(
      `${opts.ways ? 'single-entry append ways' : `ingest at ${opts.root}`}; load average ${load()}; Node ${process.version}; ${opts.warmup} warm-up + ${opts.rounds} rounds, variants interleaved\n`,
    );
    for (let round = 0; round < opts.warmup + opts.rounds; round++) {
      for (const variant of chosen) {
        await redis.admin.del(streamKey, `${streamKey}:entries`);
        global.gc?.();
        const used = await measure(redis, variant.calls, variant.concurrency, variant.run);
        const entries = variant.calls * variant.entriesPerCall;
        const result = results.get(variant.name);
        result.streamEntries = (await redis.admin.xlen(streamKey)) / variant.calls;
        if (round < opts.warmup) continue;
        result.ours.push(used.ours / entries);
        result.redis.push(used.redis / entries);
      }
    }
    const rows = [
      '| variant | process CPU µs/entry, median (min–max) | Redis CPU µs/entry, median (min–max) | stream entries/call |',
      '| --- | ---: | ---: | ---: |',
    ];
    for (const variant of chosen) {
      const r = results.get(variant.name);
      rows.push(
        `| ${variant.name} | ${median(r.ours).toFixed(2)} (${range(r.ours)}) | ${median(r.redis).toFixed(2)} (${range(r.redis)}) | ${r.streamEntries} |`,
      );
    }
    process.stdout.write(`${rows.join('\n')}\n(load average now ${load()})\n`);
    await producer.onApplicationShutdown();
  } finally {
    await redis.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
