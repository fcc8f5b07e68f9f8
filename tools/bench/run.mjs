#!/usr/bin/env node
// `npm run bench`: issue 5's benchmark of the real stack on this machine. BENCHMARKS.md describes the
// scenarios, the ceilings and how to read the table; `--help` lists the options.
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nginx204Ceiling } from './ceilings/nginx-204.mjs';
import { nodeHttpFloorCeiling } from './ceilings/node-http-floor.mjs';
import { warmUp } from './lib/warm-up.mjs';
import { pgCopyInTurnWithDrain } from './ceilings/pg-copy.mjs';
import { redisXaddCeiling } from './ceilings/redis-xadd.mjs';
import { BASELINE_PORT_OFFSET, baselineSearch, searchTurn } from './lib/baseline-search.mjs';
import { sustainedChartSvg } from './lib/chart.mjs';
import { deriveFigures } from './lib/figures.mjs';
import { int } from './lib/format.mjs';
import { describeMachine, loadAverage } from './lib/machine.mjs';
import { USAGE, UsageError, parseOptions } from './lib/options.mjs';
import { makeBodies } from './lib/payload.mjs';
import { progress, say } from './lib/progress.mjs';
import { renderMarkdown } from './lib/report.mjs';
import { benchStack } from './lib/stack.mjs';
import { summarize } from './lib/stats.mjs';
import { ensureTools, svgToPng } from './lib/tools.mjs';
import { writeBodyFile } from './lib/wrk.mjs';
import { batchScenario } from './scenarios/batch.mjs';
import { protocolsScenario } from './scenarios/protocols.mjs';
import { singleEntryScenario } from './scenarios/single-entry.mjs';
import { sustainedSearchScenario } from './scenarios/sustained-search.mjs';
import { sustainedScenario } from './scenarios/sustained.mjs';
import { syslogTcpScenario } from './scenarios/syslog-tcp.mjs';
import { workerDrainScenario } from './scenarios/worker-drain.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// One client address and one tenant send everything, so nginx's per-IP limit is raised far above any
// rate this machine reaches (the reference harness did the same) and ingest's per-tenant quota is off
// (0); the rest of the stack runs as configured.
const STACK_OVERRIDES = {
  RATE_LIMIT_RPS: '1000000',
  RATE_LIMIT_BURST: '100000',
  TENANT_QUOTA_PER_SECOND: '0',
  // The payload is dated 2026-01-15 (the same bytes every run): no age limit, and no retention that would
  // drop its partition in the middle of a run (docs/store.md).
  ENTRY_MAX_AGE: '0',
  RETENTION: '0',
  // A run measures what the stack can take, not where ingest starts refusing: at the default high water
  // (500,000 entries) /api/logs json-1000 reached it within a protocols run on a fast machine and was
  // answered 503 for its excess, which capped the rate the protocols are compared with (BENCHMARKS.md,
  // runs of 2026-11-30 22:49 and 23:15). Redis holds 3,000,000 entries of ~300 bytes easily.
  BACKLOG_HIGH_WATER: '3000000',
  BACKLOG_LOW_WATER: '2400000',
};
// The apps' tuning variables (README "Configuration"): when set for a run, the table says so.
const REPORTED_ENV =
  /^(RATE_LIMIT_|TENANT_|BATCH_|CLAIM_|TRIM_|BACKLOG_|MAX_|REDIS_COMMAND_TIMEOUT_MS$|LOG_LEVEL$|NODE_OPTIONS$|UV_THREADPOOL_SIZE$)/;

function fileStamp(date) {
  return date.toISOString().slice(0, 16).replace(':', '');
}

/** Half the maximum sustained rate: the pipeline sustains no more than its slower half can do. */
function offeredRate(results, opts) {
  if (opts.rate) return { ratePerS: opts.rate, note: 'set with --rate' };
  const batch = Object.values(results.batch?.variants ?? {}).map(
    (variant) => summarize(variant.runs.map((run) => run.entriesPerS)).median,
  );
  const bestBatch = batch.length > 0 ? Math.max(...batch) : Number.NaN;
  // The worker's steady rate (counted from its first row), not the cold figure with its start-up in it:
  // in a sustained run the worker is already up.
  const drain = summarize(
    (results.drain?.runs ?? []).map((run) => run.rows / run.secondsFromFirstRow),
  ).median;
  const max = Math.min(...[bestBatch, drain].filter(Number.isFinite));
  if (!Number.isFinite(max)) return { ratePerS: 5000, note: 'default 5,000: scenarios 2 and 3 did not run' };
  return {
    ratePerS: Math.round(max / 2),
    note: `half of ${int(max)} = min(best batch ${int(bestBatch)}, steady drain ${int(drain)})`,
  };
}

function writeOutputs(results, figures, { runDir, stamp, opts }) {
  let chartLink;
  if (results.sustained) {
    const svg = sustainedChartSvg({
      title: `Logpipe sustained ${results.sustained.durationS} s at ${int(results.sustained.offeredPerS)} entries/s offered`,
      subtitle: `${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${results.machine.cores} cores ${results.machine.cpu}, load average before ${results.loadBefore[0]}, commit ${results.machine.commit}`,
      series: results.sustained.series,
    });
    const chartDir = opts.append ? join(REPO_ROOT, 'docs', 'bench') : runDir;
    mkdirSync(chartDir, { recursive: true });
    const svgFile = join(chartDir, `${stamp}.svg`);
    writeFileSync(svgFile, svg);
    const png = svgToPng(svgFile, svgFile.replace(/\.svg$/, '.png'));
    chartLink = relative(REPO_ROOT, svgFile);
    say(`chart: ${svgFile}${png ? ' (and .png)' : ''}`);
  }
  const markdown = renderMarkdown(results, figures, { chartLink });
  writeFileSync(join(runDir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  writeFileSync(join(runDir, 'report.md'), `${markdown}\n`);
  if (opts.append) {
    const file = join(REPO_ROOT, 'BENCHMARKS.md');
    if (!existsSync(file))
      writeFileSync(file, '# Benchmarks\n\nRuns of `npm run bench`, newest last.\n\n## Runs\n');
    appendFileSync(file, `\n${markdown}\n`);
    say(`appended to ${file}`);
  }
  return markdown;
}

/**
 * The pre-change build's search and this build's, in turn, `--sustained-rounds` times (pre-change first in
 * each round). `sustainedSearch` is this build's first search (its steps are the table's); every search is
 * in `sustainedTurns`.
 */
async function searchesInTurn(ctx, start, commit) {
  const { opts, runDir } = ctx;
  const turns = [];
  let sustainedSearch = null;
  let baselineStart =
    opts.sustainedBaselineStart ?? Math.round(0.75 * (start.seed?.offeredPerS ?? start.startRate));
  let thisStart = start;
  for (let round = 1; round <= opts.sustainedRounds; round += 1) {
    const logFile = join(runDir, `pre-change-search-${round}.log`);
    progress('4 search', {
      note: `round ${round}/${opts.sustainedRounds}: the pre-change build from ${baselineStart} entries/s (log: ${logFile})`,
    });
    // A pre-change search that fails (its stack did not come up, say) is a round without a ratio, not
    // the end of a bench that has measured everything else already.
    const baselineStartedMs = Date.now();
    const baseline = await baselineSearch({
      dir: resolve(REPO_ROOT, opts.sustainedBaselineDir),
      startRate: baselineStart,
      portBase: opts.portBase + BASELINE_PORT_OFFSET,
      logFile,
      opts,
    }).catch((error) =>
      searchTurn({
        build: 'pre-change',
        commit: null,
        startedMs: baselineStartedMs,
        startRate: baselineStart,
        error: error.message,
      }),
    );
    turns.push({ round, ...baseline });
    say(
      `  round ${round}: pre-change build ${baseline.error ? `search failed: ${baseline.error}` : `${int(baseline.ratePerS)} entries/s`}`,
    );
    const thisStartedMs = Date.now();
    // The pre-change bench warms its stack up right before its search (its run.mjs, as this one does at
    // its start); this build's stack has been idle meanwhile. The same unmeasured warm-up here, or this
    // build's first probe meets a stack the other one's minutes of load left cold (BENCHMARKS.md,
    // 2026-12-03 16:03: first probes failing on a backlog built in their first seconds).
    await warmUp(ctx, { phase: `4 search round ${round}`, batches: true });
    const search = await sustainedSearchScenario(ctx, thisStart);
    sustainedSearch ??= search;
    turns.push({
      round,
      ...searchTurn({ build: 'this', commit, startedMs: thisStartedMs, startRate: search.startRate, search }),
    });
    say(`  round ${round}: this build ${int(search.ratePerS)} entries/s`);
    // The next round starts where this one ended (a search with no full-length pass: where it started).
    if (Number.isFinite(baseline.ratePerS)) baselineStart = baseline.ratePerS;
    thisStart = {
      startRate: Number.isFinite(search.ratePerS) ? search.ratePerS : search.startRate,
      startNote: `round ${round}'s figure`,
    };
  }
  return { sustainedSearch, sustainedTurns: turns };
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  ensureTools(say);
  const started = new Date();
  const stamp = fileStamp(started);
  const runDir = join(REPO_ROOT, '.bench', 'runs', stamp);
  mkdirSync(runDir, { recursive: true });
  const stateDir = resolve(REPO_ROOT, opts.stateDir);
  // A value set in the environment wins over the bench's override (to measure with the quota on, say).
  // REDIS_URL / DATABASE_URL are dropped: with them the stack would use those servers, and the bench
  // empties the logs table of the stack it measures.
  const { REDIS_URL: _redis, DATABASE_URL: _database, ...callerEnv } = process.env;
  const env = { ...STACK_OVERRIDES, ...callerEnv };
  const stackEnv = {
    ...STACK_OVERRIDES,
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => REPORTED_ENV.test(key))),
  };
  const results = {
    startedAt: started.toISOString(),
    mode: opts.mode,
    machine: describeMachine(REPO_ROOT),
    loadBefore: loadAverage(),
    options: { ...opts, stateDir: relative(REPO_ROOT, stateDir) || stateDir },
    stackEnv,
    ceilings: {},
  };
  say(`bench (${opts.mode}): load average ${results.loadBefore.join(' ')}; raw results in ${runDir}`);

  const stackLog = join(runDir, 'stack.log');
  const stack = benchStack({
    repoRoot: REPO_ROOT,
    stateDir,
    portBase: opts.portBase,
    env,
    log: (text) => appendFileSync(stackLog, text),
  });
  // Ctrl-C: stop what the bench started (its stack, the reference) rather than leave it running.
  const cleanups = [() => stack.down()];
  process.once('SIGINT', () => {
    say('bench: interrupted; stopping what it started');
    Promise.allSettled(cleanups.map((cleanup) => cleanup())).finally(() => process.exit(130));
  });
  progress('stack', { note: `fresh start in ${stateDir} (log: ${stackLog})` });
  await stack.down({ purge: true });
  await stack.up({ skipBuild: opts.skipBuild });
  say(`stack up: ${stack.nginxUrl} (ingest ${stack.urls.INGEST_1_URL}, ${stack.urls.INGEST_2_URL})`);
  // pg and ioredis come from the repo's node_modules, which `up` has just installed on a fresh clone.
  const { openProbe } = await import('./lib/pipeline-probe.mjs');
  const probe = await openProbe({ redisUrl: stack.urls.REDIS_URL, databaseUrl: stack.urls.DATABASE_URL });
  const bodies = makeBodies({ batchSizes: opts.batchSizes });
  const bodyFiles = Object.fromEntries(
    Object.entries(bodies).map(([name, { body }]) => [name, writeBodyFile(runDir, name, body)]),
  );
  const ctx = { opts, stack, probe, bodies, bodyFiles, runDir, repoRoot: REPO_ROOT, cleanups };
  const wanted = (part) => opts.only.includes(part);

  try {
    await warmUp(ctx, { phase: 'warm-up', batches: true });
    if (wanted('ceilings')) results.ceilings.nginx204 = await nginx204Ceiling(ctx);
    if (wanted('1')) {
      // With the reference in this run, its single-entry runs take turns with Logpipe's (reference.mjs).
      const inTurn =
        wanted('reference') && opts.reference
          ? (await import('./lib/reference.mjs')).singleEntryInTurnWithReference
          : undefined;
      const { reference, ...single } = await singleEntryScenario(ctx, { inTurn });
      results.single = single;
      ctx.referenceSingleEntry = reference?.inTurn ? reference : undefined;
    }
    if (wanted('2')) results.batch = await batchScenario(ctx);
    if (wanted('floor')) {
      results.ceilings.nodeHttpFloor = await nodeHttpFloorCeiling(ctx, {
        log: (text) => appendFileSync(stackLog, text),
      });
    }
    if (wanted('3')) {
      // The \copy ceiling takes turns with the drain's runs (pg-copy.mjs says why).
      const copy = wanted('ceilings') ? pgCopyInTurnWithDrain(ctx) : undefined;
      results.drain = await workerDrainScenario(ctx, { inTurn: copy?.inTurn });
      if (copy) {
        results.ceilings.pgCopy = copy.result();
        results.ceilings.redisXadd = await redisXaddCeiling(ctx);
      }
    }
    if (wanted('protocols')) results.protocols = await protocolsScenario(ctx);
    if (wanted('syslog')) {
      results.syslog = await syslogTcpScenario(ctx);
      const syslogRate = summarize(results.syslog.runs.map((run) => run.entriesPerS)).median;
      const http = results.protocols?.variants?.['api-json-1000'] ?? results.batch?.variants?.['json-1000'];
      const httpRate = http ? summarize(http.runs.map((run) => run.entriesPerS)).median : Number.NaN;
      results.syslog.comparison = {
        syslogEntriesPerS: syslogRate,
        httpJson1000EntriesPerS: httpRate,
        ratio: syslogRate / httpRate,
      };
      say(
        `syslog tcp: ${int(syslogRate)} entries/s` +
          (Number.isFinite(httpRate)
            ? ` = ${((100 * syslogRate) / httpRate).toFixed(0)}% of /api/logs json-1000 (${int(httpRate)}); target >= 80%`
            : ''),
      );
    }
    if (wanted('4')) {
      const { ratePerS, note } = offeredRate(results, opts);
      results.sustained = { ...(await sustainedScenario(ctx, { ratePerS })), rateNote: note };
    }
    if (wanted('search')) {
      const guess = offeredRate(results, opts);
      const start = opts.searchStart
        ? { startRate: opts.searchStart, startNote: 'set with --search-start' }
        : { startRate: guess.ratePerS, startNote: guess.note, seed: results.sustained };
      if (opts.sustainedBaselineDir) {
        Object.assign(results, await searchesInTurn(ctx, start, results.machine.commit));
      } else {
        results.sustainedSearch = await sustainedSearchScenario(ctx, start);
      }
    }
  } finally {
    // The drained rows (tens of MB) were only needed for the \copy ceiling.
    if (ctx.drainedRowsFile) rmSync(ctx.drainedRowsFile, { force: true });
    await probe.close();
    if (!opts.keepStack) {
      progress('stack', { note: 'stopping' });
      await stack.down();
    }
  }
  if (wanted('reference')) {
    const { referenceRun } = await import('./lib/reference.mjs');
    results.reference = await referenceRun(ctx, { singleEntry: ctx.referenceSingleEntry });
  }
  results.loadAfter = loadAverage();
  results.wallSeconds = (Date.now() - started.getTime()) / 1000;
  const figures = deriveFigures(results);
  const markdown = writeOutputs(results, figures, { runDir, stamp, opts });
  say(`\n${markdown}`);
  if (figures.checkFailures.length > 0) {
    say(`bench: ${figures.checkFailures.length} correctness check(s) failed`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    say(
      error instanceof UsageError ? `bench: ${error.message}\n\n${USAGE}` : `bench: ${error?.stack ?? error}`,
    );
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
