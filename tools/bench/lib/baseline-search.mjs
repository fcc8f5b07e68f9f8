// The pre-change build's rate search, in turn with this build's (issue 14: the sustained rate "≥ 1.5×
// today's, same bench"). This machine's speed drifts by up to ~1.6× within an hour (BENCHMARKS.md,
// 2026-12-03), so a baseline figure searched at another time (--sustained-baseline) can make the ratio
// say anything; searched in turn within one run, each pair of searches meets the same machine.
// The pre-change build runs from its own checkout (tools/bench/baseline/prepare.mjs) with its own bench
// and stack, on ports BASELINE_PORT_OFFSET above this bench's; this bench's stack stays up, idle,
// meanwhile.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const BASELINE_PORT_OFFSET = 50;

/** The pre-change bench's command line: only its search, with this run's search settings. */
export function baselineSearchArgs({ startRate, portBase, stateDir, opts }) {
  return [
    'tools/bench/run.mjs',
    '--skip-build',
    '--only',
    'search',
    '--no-reference',
    '--no-append',
    '--search-start',
    String(Math.round(startRate)),
    '--sustained-seconds',
    String(opts.sustainedSeconds),
    '--search-probes',
    String(opts.searchProbes),
    '--search-probe-seconds',
    String(opts.searchProbeSeconds),
    '--search-confirms',
    String(opts.searchConfirms),
    '--fresh-batch',
    String(opts.freshBatch),
    '--port-base',
    String(portBase),
    '--state-dir',
    stateDir,
  ];
}

/**
 * One search's entry in the table of turns: which build, when, from which rate, its figure (NaN without a
 * full-length pass, or when it failed to run: `error`) and its steps in brief. `search` is a rate search's
 * result (scenarios/sustained-search.mjs), also as read back from a results.json (NaN is null there).
 */
export function searchTurn({ build, commit, startedMs, startRate, search = null, error }) {
  return {
    build,
    commit,
    startedAt: new Date(startedMs).toISOString(),
    seconds: (Date.now() - startedMs) / 1000,
    startRate: Math.round(startRate),
    ratePerS: search?.ratePerS ?? Number.NaN,
    steps: (search?.steps ?? []).map(({ kind, offeredPerS, durationS, pass }) => ({
      kind,
      offeredPerS,
      durationS,
      pass,
    })),
    ...(error === undefined ? {} : { error }),
  };
}

/** The results.json of the newest run directory under `runsDir` written at or after `sinceMs`. */
export function newestResultsSince(runsDir, sinceMs) {
  if (!existsSync(runsDir)) return null;
  const candidates = readdirSync(runsDir)
    .map((name) => join(runsDir, name, 'results.json'))
    .filter((file) => existsSync(file) && statSync(file).mtimeMs >= sinceMs)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return candidates.length > 0 ? JSON.parse(readFileSync(candidates[0], 'utf8')) : null;
}

/** One search of the pre-change build; its output goes to `logFile`. */
export async function baselineSearch({ dir, startRate, portBase, logFile, opts }) {
  const root = resolve(dir);
  if (!existsSync(join(root, 'tools/bench/run.mjs')) || !existsSync(join(root, 'dist/apps/ingest/main.js'))) {
    throw new Error(
      `--sustained-baseline-dir ${dir}: no built checkout there (run node tools/bench/baseline/prepare.mjs --dir ${dir})`,
    );
  }
  const startedMs = Date.now();
  const log = createWriteStream(logFile);
  // The caller's REDIS_URL / DATABASE_URL are dropped by that bench itself; the apps' tuning variables
  // set for this run reach both builds alike.
  const child = spawn(
    process.execPath,
    baselineSearchArgs({ startRate, portBase, stateDir: join(root, '.bench', 'stack'), opts }),
    { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const code = await new Promise((resolveExit) => child.once('exit', (exitCode) => resolveExit(exitCode)));
  await new Promise((resolveEnd) => log.end(resolveEnd));
  const results = newestResultsSince(join(root, '.bench', 'runs'), startedMs);
  if (code !== 0 || !results?.sustainedSearch) {
    throw new Error(`the pre-change build's search failed (exit ${code}); its output: ${logFile}`);
  }
  return searchTurn({
    build: 'pre-change',
    commit: results.machine?.commit ?? null,
    startedMs,
    startRate,
    search: results.sustainedSearch,
  });
}
