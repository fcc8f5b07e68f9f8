// Ceiling for scenario 2: redis-benchmark XADD of the very value ingest stores for one entry (read back
// from the stream), pipelined, against the stack's own Redis (same AOF settings). Since ingest writes a
// batch as chunks (codec version 3), the value read back is a chunk; its first entry is XADDed as the
// single-entry value (version 2) a POST /api/log that arrives alone stores: a 500-entry chunk (~145 kB) would not even fit
// in one command-line argument of redis-benchmark (E2BIG).
import { spawn } from 'node:child_process';
import { cpuMeter } from '../lib/proc-stats.mjs';
import { progress, say } from '../lib/progress.mjs';

/** ops/s and p50/p99 from the last line of `redis-benchmark --csv` (the command itself may hold quotes). */
export function parseRedisBenchmarkCsv(output) {
  const match = /"([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)"\s*$/.exec(
    output.trim(),
  );
  if (match === null) return null;
  const [, rps, , , p50, , p99] = match.map(Number);
  return { opsPerS: rps, p50Ms: p50, p99Ms: p99 };
}

function redisBenchmark(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const parsed = parseRedisBenchmarkCsv(output);
      if (code !== 0 || parsed === null)
        reject(new Error(`redis-benchmark exited ${code}: ${output.slice(-1000)}`));
      else resolve(parsed);
    });
  });
}

/** A stream value holding one entry: a chunk's first entry as a version 2 value, else the value as is. */
export function singleEntryValue(value) {
  const parsed = JSON.parse(value);
  return Array.isArray(parsed) && parsed[0] === 3 && Array.isArray(parsed[1])
    ? JSON.stringify([2, ...parsed[1]])
    : value;
}

export async function redisXaddCeiling(ctx) {
  const { opts, stack, probe } = ctx;
  const streamEntry = { ...ctx.streamEntry, value: singleEntryValue(ctx.streamEntry.value) };
  const port = new URL(stack.urls.REDIS_URL).port;
  const key = `bench:xadd:${process.pid}`;
  const runs = [];
  for (let i = 0; i < opts.runs; i += 1) {
    const phase = `ceiling redis XADD -P ${opts.redisPipeline} ${i + 1}/${opts.runs}`;
    progress(phase, { note: `${opts.redisRequests} XADDs of ${Buffer.byteLength(streamEntry.value)} bytes` });
    const cpu = cpuMeter(() => ({ redis: stack.pid('redis'), bench: process.pid }));
    cpu.start();
    const run = await redisBenchmark([
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-n',
      String(opts.redisRequests),
      '-c',
      '50',
      '-P',
      String(opts.redisPipeline),
      '--csv',
      'XADD',
      key,
      '*',
      streamEntry.field,
      streamEntry.value,
    ]);
    runs.push({ ...run, cpu: cpu.stop() });
    await probe.redis.del(key);
    say(`  ${phase}: ${Math.round(run.opsPerS)} XADD/s`);
  }
  return {
    valueBytes: Buffer.byteLength(streamEntry.value),
    pipeline: opts.redisPipeline,
    clients: 50,
    runs,
  };
}
