// Ceiling for scenario 1: a private nginx that answers `return 204`, loaded by the same wrk command.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { steadyWindow } from '../lib/measure.mjs';
import { progress, say } from '../lib/progress.mjs';
import { pollUntil, sleep } from '../lib/sleep.mjs';
import { runWrk } from '../lib/wrk.mjs';

const TEMPLATE = fileURLToPath(new URL('./nginx-204.conf.template', import.meta.url));

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function startNginx(prefix, port) {
  mkdirSync(join(prefix, 'temp'), { recursive: true });
  // As root nginx's workers run as nobody, which must reach the temp dir.
  chmodSync(prefix, 0o755);
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    readFileSync(TEMPLATE, 'utf8').replaceAll('@PREFIX@', prefix).replaceAll('@PORT@', String(port)),
  );
  if (await portOpen(port)) throw new Error(`port ${port} for the nginx 204 ceiling is in use`);
  const child = spawn('nginx', ['-p', prefix, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const { timedOut } = await pollUntil(() => portOpen(port), { intervalMs: 50, timeoutMs: 10000 });
  if (timedOut) {
    child.kill('SIGTERM');
    throw new Error(`nginx for the 204 ceiling did not start: ${stderr}`);
  }
  return {
    pid: child.pid,
    async stop() {
      child.kill('SIGQUIT');
      await Promise.race([exited, sleep(10000)]);
    },
  };
}

export async function nginx204Ceiling(ctx) {
  const { opts, bodyFiles, runDir, stack } = ctx;
  // After the stack's own ports (N..N+8: HTTP, apps, Redis, PostgreSQL, syslog).
  const port = stack.portBase + 9;
  const prefix = join(runDir, 'nginx-204');
  const nginx = await startNginx(prefix, port);
  const runs = [];
  try {
    for (let i = 0; i < opts.runs; i += 1) {
      const phase = `ceiling nginx 204 ${i + 1}/${opts.runs}`;
      progress(phase, { note: `wrk ${opts.singleConnections} connections, ${opts.loadSeconds} s` });
      const loadgen = [];
      const cpu = steadyWindow(() => ({ nginx: nginx.pid, loadgen, bench: process.pid }), opts.loadSeconds);
      const run = await runWrk({
        url: `http://127.0.0.1:${port}/bench-204`,
        bodyFile: bodyFiles.single,
        format: 'json',
        connections: opts.singleConnections,
        durationS: opts.loadSeconds,
        onSpawn: (pid) => loadgen.push(pid),
      });
      runs.push({ ...run, cpu: cpu.result() });
      say(
        `  ${phase}: ${Math.round(run.rps)} req/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms, non-2xx ${run.non2xx}`,
      );
    }
  } finally {
    await nginx.stop();
    // Its access log holds a line per request: hundreds of MB after a full run.
    rmSync(prefix, { recursive: true, force: true });
  }
  return { port, runs };
}
