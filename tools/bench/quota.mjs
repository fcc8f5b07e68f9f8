#!/usr/bin/env node
// The shared tenant quota's cost on the ingest hot path (README "Quota"): one take() per request, for the
// two candidates, against the same Redis:
//  - lua: the shared token bucket's own script (read from apps/ingest/src/app/auth/shared-token-bucket.ts,
//    so the figure is that of the code that runs), EVALSHA through ioredis' defineCommand;
//  - rlf: rate-limiter-flexible's RateLimiterRedis.consume() (its fixed-window INCRBY script);
//  - ping: a bare PING, the floor any Redis round trip pays.
// Each on its own ioredis connection with auto-pipelining on, as the stream producer's connection is.
// Sequential: N awaited one after another (latency per call, µs). Concurrent: N issued at once and
// awaited together (calls per second). CPU: this process' user+system time per call (µs), the part an
// ingest instance pays on its own cores. Redis µs: the server's own time per call (INFO commandstats,
// usec of EVALSHA or PING, read before and after each run; on a Redis other clients use too, their
// EVALSHAs count in: give the bench a private one). Every figure is the median of RUNS runs (min–max).
// The quota is set far above what the bench takes, so every call is admitted (the common path).
//
//   node tools/bench/quota.mjs [--calls 5000] [--runs 7]        REDIS_URL=redis://127.0.0.1:6379 (default)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { summarize } from './lib/stats.mjs';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const { values: args } = parseArgs({
  options: { calls: { type: 'string', default: '5000' }, runs: { type: 'string', default: '7' } },
});
const CALLS = Number(args.calls);
const RUNS = Number(args.runs);
const RATE = 1e12;
const BURST = 1e12;
const PREFIX = `logpipe:bench-quota:${process.pid}`;

function sharedBucketScript() {
  const source = readFileSync(join(REPO_ROOT, 'apps/ingest/src/app/auth/shared-token-bucket.ts'), 'utf8');
  const lua = /SHARED_TOKEN_BUCKET_SCRIPT = `([^`]+)`/.exec(source)?.[1];
  if (!lua) throw new Error('SHARED_TOKEN_BUCKET_SCRIPT not found in shared-token-bucket.ts');
  return lua;
}

function connect() {
  return new Redis(REDIS_URL, { enableAutoPipelining: true, lazyConnect: true, maxRetriesPerRequest: 0 });
}

async function candidates() {
  const lua = connect();
  lua.defineCommand('logpipeTakeTokens', { numberOfKeys: 1, lua: sharedBucketScript() });
  const rlfClient = connect();
  const limiter = new RateLimiterRedis({
    storeClient: rlfClient,
    keyPrefix: `${PREFIX}:rlf`,
    points: BURST,
    duration: 1,
    rejectIfRedisNotReady: true,
  });
  const ping = connect();
  await Promise.all([lua.connect(), rlfClient.connect(), ping.connect()]);
  return {
    clients: [lua, rlfClient, ping],
    command: { lua: 'evalsha', rlf: 'evalsha', ping: 'ping' },
    take: {
      lua: async () => {
        const [admitted] = await lua.logpipeTakeTokens(`${PREFIX}:{acme}`, RATE, BURST, 50);
        if (admitted !== 1) throw new Error('the Lua bucket refused a take the bench expects admitted');
      },
      rlf: () => limiter.consume('acme', 50),
      ping: () => ping.ping(),
    },
  };
}

/** calls and usec Redis reports for one command so far. */
async function commandStats(redis, command) {
  const line = (await redis.info('commandstats'))
    .split('\n')
    .find((l) => l.startsWith(`cmdstat_${command}:`));
  const calls = Number(/calls=(\d+)/.exec(line ?? '')?.[1] ?? 0);
  const usec = Number(/usec=(\d+)/.exec(line ?? '')?.[1] ?? 0);
  return { calls, usec };
}

async function measure(take, concurrent, inspector, command) {
  const serverBefore = await commandStats(inspector, command);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  if (concurrent) {
    await Promise.all(Array.from({ length: CALLS }, () => take()));
  } else {
    for (let i = 0; i < CALLS; i++) await take();
  }
  const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = await commandStats(inspector, command);
  return {
    redisUs: (serverAfter.usec - serverBefore.usec) / (serverAfter.calls - serverBefore.calls),
    latencyUs: elapsedUs / CALLS,
    perSecond: (CALLS / elapsedUs) * 1e6,
    cpuUs: (cpu.user + cpu.system) / CALLS,
  };
}

function show(values, digits = 1) {
  const { median, min, max } = summarize(values);
  return `${median.toFixed(digits)} (${min.toFixed(digits)}–${max.toFixed(digits)})`;
}

async function main() {
  const { clients, command, take } = await candidates();
  const inspector = clients[2];
  const loadBefore = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  const results = {};
  try {
    for (const name of Object.keys(take)) {
      // Warm up: script load (EVALSHA's first NOSCRIPT), JIT.
      for (let i = 0; i < 500; i++) await take[name]();
      results[name] = { sequential: [], concurrent: [] };
    }
    // Interleave candidates run by run, so a noisy moment on this shared machine hits all of them.
    for (let run = 0; run < RUNS; run++) {
      for (const name of Object.keys(take)) {
        results[name].sequential.push(await measure(take[name], false, inspector, command[name]));
        results[name].concurrent.push(await measure(take[name], true, inspector, command[name]));
      }
    }
  } finally {
    await clients[0].del(`${PREFIX}:{acme}`, `${PREFIX}:rlf:acme`).catch(() => undefined);
    await Promise.all(clients.map((client) => client.quit()));
  }
  const loadAfter = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  console.log(`quota take() cost, ${CALLS} calls a run, median of ${RUNS} runs (min–max), ${REDIS_URL}`);
  console.log(`load average before: ${loadBefore}; after: ${loadAfter}`);
  console.log(
    '| candidate | sequential µs/call | sequential CPU µs/call | concurrent calls/s | concurrent CPU µs/call | Redis µs/call |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [name, { sequential, concurrent }] of Object.entries(results)) {
    console.log(
      `| ${name} | ${show(sequential.map((r) => r.latencyUs))} | ${show(sequential.map((r) => r.cpuUs))} | ${show(
        concurrent.map((r) => r.perSecond),
        0,
      )} | ${show(concurrent.map((r) => r.cpuUs))} | ${show(
        [...sequential, ...concurrent].map((r) => r.redisUs),
        2,
      )} |`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
