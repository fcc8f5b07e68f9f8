// Floor for single entries and json-1000 (issue 14): the bench's own nginx, Redis and worker, with both
// ingest instances replaced by the bare node:http server of node-http-floor/main.ts on the same ports,
// so the only difference to scenarios 1 and 2 is ingest's framework and extras. Ingest comes back
// (the stack starts what is missing) before the bench goes on.
//
// The single-entry target compares Logpipe with the floor in the same run, and the machine's speed drifts
// within a run (scenario 1 once ran 6.5k → 8.5k req/s over its three runs, minutes before the floor). So
// the floor measures Logpipe's single entry itself, in turns: a Logpipe run, the floor's runs, ingest back,
// and so on, with one more Logpipe run at the end, so every floor run lies between two Logpipe runs;
// figures.mjs pairs each floor run with the Logpipe rate at its time. After every swap a few unmeasured
// seconds of load warm the fresh processes, as the bench's warm-up does for scenario 1.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { INGEST_NODE_ARGS, INGEST_NODE_OPTIONS } from '../../stack/lib/apps.mjs';
import { memoryOf } from '../lib/proc-stats.mjs';
import { progress, say } from '../lib/progress.mjs';
import { pollUntil, sleep } from '../lib/sleep.mjs';
import { warmUp } from '../lib/warm-up.mjs';
import { batchRun } from '../scenarios/batch.mjs';
import { singleEntryRun } from '../scenarios/single-entry.mjs';

const INSTANCES = ['ingest-1', 'ingest-2'];
export const FLOOR_BATCH_VARIANT = 'json-1000';

/** Bundles the floor server with esbuild (the workspace's path aliases resolve the real libs). */
export function buildFloorServer(repoRoot) {
  const outfile = join(repoRoot, 'dist', 'tools', 'bench', 'node-http-floor.js');
  const result = spawnSync(
    join(repoRoot, 'node_modules', '.bin', 'esbuild'),
    [
      join(repoRoot, 'tools/bench/ceilings/node-http-floor/main.ts'),
      '--bundle',
      '--platform=node',
      '--target=node20',
      '--packages=external',
      `--tsconfig=${join(repoRoot, 'tsconfig.base.json')}`,
      `--outfile=${outfile}`,
      '--log-level=warning',
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`building the node:http floor failed:\n${result.stderr}`);
  return outfile;
}

async function waitGone(pid, timeoutMs) {
  const { timedOut } = await pollUntil(() => memoryOf(pid) === null, { intervalMs: 50, timeoutMs });
  if (timedOut) throw new Error(`pid ${pid} did not exit within ${timeoutMs} ms`);
}

async function listening(url) {
  try {
    // Any HTTP answer means the server is up (the floor answers 404 to GET /).
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

function startFloor(script, { name, port, stack, log }) {
  // The same node flags as the stack's ingest, so the floor differs from it only in the code.
  const child = spawn(process.execPath, [...INGEST_NODE_ARGS, script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_OPTIONS: INGEST_NODE_OPTIONS,
      HOST: '127.0.0.1',
      PORT: String(port),
      REDIS_URL: stack.urls.REDIS_URL,
      ...(stack.urls.STREAM_KEY ? { STREAM_KEY: stack.urls.STREAM_KEY } : {}),
      INSTANCE_ID: `${name}-floor`,
      // As the bench's stack runs ingest: no age limit on the fixed-date payload.
      ENTRY_MAX_AGE: '0',
    },
  });
  child.stdout.on('data', (chunk) => log(`[${name}-floor] ${chunk}`));
  child.stderr.on('data', (chunk) => log(`[${name}-floor] ${chunk}`));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10000)]);
    },
  };
}

export async function nodeHttpFloorCeiling(ctx, { log }) {
  const { opts, stack, repoRoot } = ctx;
  const script = buildFloorServer(repoRoot);
  const ports = INSTANCES.map((name) =>
    Number(new URL(stack.urls[`${name.replace('-', '_').toUpperCase()}_URL`]).port),
  );
  let floors = [];
  // The load's CPU and memory meters see the floor processes where ingest's were.
  const floorStack = {
    ...stack,
    pid: (name) => (INSTANCES.includes(name) ? floors[INSTANCES.indexOf(name)].pid : stack.pid(name)),
    pids: () => ({ ...stack.pids(), 'ingest-1': floors[0].pid, 'ingest-2': floors[1].pid }),
  };
  const floorCtx = { ...ctx, stack: floorStack };

  async function swapToFloor() {
    progress('floor', { note: 'stopping ingest, starting the node:http floor on its ports' });
    for (const name of INSTANCES) {
      const pid = stack.pid(name);
      if (pid === null) continue;
      process.kill(pid, 'SIGTERM');
      await waitGone(pid, 30000);
    }
    floors = INSTANCES.map((name, i) => startFloor(script, { name, port: ports[i], stack, log }));
    for (const port of ports) {
      const { timedOut } = await pollUntil(() => listening(`http://127.0.0.1:${port}/`), {
        intervalMs: 50,
        timeoutMs: 15000,
      });
      if (timedOut) throw new Error(`the node:http floor on port ${port} did not start (see stack.log)`);
    }
    await warmUp(floorCtx, { phase: 'floor' });
  }

  async function swapToIngest() {
    await Promise.all(floors.map((floor) => floor.stop()));
    floors = [];
    progress('floor', { note: 'starting ingest again' });
    await stack.startMissing();
    await warmUp(ctx, { phase: 'floor' });
  }

  const logpipeSingle = [];
  const single = [];
  const batch = [];
  for (let i = 0; i < opts.runs; i += 1) {
    logpipeSingle.push(await singleEntryRun(ctx, `floor round ${i + 1}/${opts.runs}: Logpipe single-entry`));
    try {
      await swapToFloor();
      single.push(await singleEntryRun(floorCtx, `floor single-entry ${i + 1}/${opts.runs}`));
      batch.push(
        await batchRun(floorCtx, FLOOR_BATCH_VARIANT, `floor ${FLOOR_BATCH_VARIANT} ${i + 1}/${opts.runs}`),
      );
    } finally {
      await swapToIngest();
    }
  }
  logpipeSingle.push(await singleEntryRun(ctx, 'floor, closing: Logpipe single-entry'));
  say(`  floor: node:http in ingest's place (${script})`);
  return {
    single: { connections: opts.singleConnections, durationS: opts.loadSeconds, runs: single },
    logpipeSingle: { connections: opts.singleConnections, durationS: opts.loadSeconds, runs: logpipeSingle },
    batch: {
      variant: FLOOR_BATCH_VARIANT,
      connections: opts.batchConnections,
      durationS: opts.batchSeconds,
      runs: batch,
    },
  };
}
