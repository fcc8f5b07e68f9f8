// Ceiling for scenario 2: redis-benchmark XADD of the value ingest stores for one entry, pipelined,
// against the stack's own Redis (same AOF settings). A batch is stored as a chunk (codec version 3, or
// version 4: the body as sent), which would not even fit in one command-line argument of redis-benchmark
// (E2BIG), so the chunk's first entry is XADDed as the single-entry value (version 2) that a POST /api/log
// arriving alone stores; the log-schema codec itself reads the chunk and writes that value.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cpuMeter } from '../lib/proc-stats.mjs';
import { progress, say } from '../lib/progress.mjs';
import { repoRoot, tsRequire } from '../lib/ts-sources.mjs';

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
  const codec = tsRequire()(join(repoRoot, 'libs/log-schema/src/index.ts'));
  const decoded = codec.decodeStreamValue(value);
  if (!decoded.chunk) return value;
  const first = decoded.slots.find((slot) => slot.ok);
  if (first === undefined) throw new Error('the sampled chunk holds no decodable entry');
  return codec.encodeLogEntry(first.entry);
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
