// The load generator: wrk with a Lua script that POSTs a fixed body (the same harness the reference
// design was measured with, so the two are compared like for like).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { headersFor } from './payload.mjs';

const POST_LUA = fileURLToPath(new URL('./post.lua', import.meta.url));

/** Parses post.lua's SUMMARY line into numbers; null when the output has none. */
export function parseWrkSummary(output) {
  const line = output.split('\n').find((text) => text.startsWith('SUMMARY '));
  if (line === undefined) return null;
  const fields = Object.fromEntries(
    [...line.matchAll(/(\w+)=(-?[\d.]+)/g)].map(([, key, value]) => [key, Number(value)]),
  );
  const socketErrors = fields.connect_err + fields.read_err + fields.write_err + fields.timeout_err;
  return {
    requests: fields.requests,
    durationS: fields.duration_s,
    non2xx: fields.non2xx,
    socketErrors,
    // wrk counts a request as completed even when its connection then failed; only answered 2xx count.
    ok: fields.requests - fields.non2xx,
    rps: fields.requests / fields.duration_s,
    p50Ms: fields.p50_ms,
    p90Ms: fields.p90_ms,
    p99Ms: fields.p99_ms,
    maxMs: fields.max_ms,
  };
}

/** Writes a body to a file wrk's Lua script can read. */
export function writeBodyFile(dir, name, body) {
  const file = join(dir, `${name}.body`);
  writeFileSync(file, body);
  return file;
}

/**
 * Runs wrk for `durationS` seconds and resolves with the parsed summary plus the command line.
 * `onSpawn(pid)` lets the caller attribute wrk's CPU to the load generator.
 */
export function runWrk({ url, bodyFile, format, connections, threads = 2, durationS, onSpawn }) {
  const headers = headersFor(format);
  const args = [
    `-t${Math.min(threads, connections)}`,
    `-c${connections}`,
    `-d${durationS}s`,
    '--latency',
    '-s',
    POST_LUA,
    url,
    '--',
    bodyFile,
    headers['content-type'],
    headers['content-encoding'] ?? '',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('spawn', () => onSpawn?.(child.pid));
    child.once('close', (code) => {
      const summary = parseWrkSummary(output);
      if (code !== 0 || summary === null) {
        reject(new Error(`wrk exited ${code} without a summary:\n${output.slice(-2000)}`));
        return;
      }
      resolve({ ...summary, command: `wrk ${args.join(' ')}` });
    });
  });
}
