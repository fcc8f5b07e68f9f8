// From raw runs to the figures the table quotes: medians with min–max, ratios to the ceilings and to
// the reference, the targets of issue 5, memory peaks, CPU per stage and the bench's own checks.
import { int, times } from './format.mjs';
import { FRESHNESS_LIMIT_MS } from './rate-search.mjs';
import { ratio, summarize } from './stats.mjs';

// Each target names the issue that set it; issue 14's (second performance round) are the current ones,
// the older lines stay so runs can be compared with earlier sections of BENCHMARKS.md.
export const TARGETS = {
  // Issue 5.
  singleVsReference: 8,
  batchEntriesPerS: 80000,
  drainVsCopy: 0.8,
  freshnessP99Ms: 500,
  // Issues 5 and 14.
  ingestRssMiB: 150,
  workerRssMiB: 200,
  // "Flat while a backlog grows": the rise within a batch run stays under this share of the RSS at its
  // start, for every process.
  flatRise: 0.1,
  // Issue 10: each other protocol as a share of /api/logs json-1000 in the same run.
  protocolVsApi: 0.9,
  // Issue 15: syslog over TCP through nginx, as a share of the HTTP batch rate (json-1000) in the same run.
  syslogVsJson1000: 0.8,
  // Issue 14.
  singleVsFloor: 0.85,
  singleVsReferenceRound2: 2.5,
  batchEntriesPerSRound2: 100000,
  ingestCpuUsPerEntry: 6,
  redisCpuUsPerEntry: 1,
  drainVsCopyRound2: 0.9,
  sustainedVsBaseline: 1.5,
};
/** The batch variants issue 14's batch targets are about. */
export const ROUND2_BATCH_VARIANTS = ['json-1000', 'ndjson-gzip-1000'];

export const CPU_GROUPS = [
  'nginx',
  'ingest-1',
  'ingest-2',
  'redis',
  'worker',
  'postgres',
  'app-8001',
  'app-8002',
  'loadgen',
  'bench',
  'other',
];
// Single-threaded stages are saturated near 100% of one core; nginx has 2 worker processes.
const STAGE_CORES = {
  nginx: 2,
  'ingest-1': 1,
  'ingest-2': 1,
  redis: 1,
  worker: 1,
  postgres: 1,
  'app-8001': 1,
  'app-8002': 1,
};

const of = (runs, key) => summarize(runs.map((run) => run[key]));

function medianCpu(runs) {
  const withCpu = runs.filter((run) => run.cpu);
  if (withCpu.length === 0) return null;
  const keys = new Set(withCpu.flatMap((run) => Object.keys(run.cpu.percent)));
  return Object.fromEntries(
    [...keys].map((key) => [key, summarize(withCpu.map((run) => run.cpu.percent[key] ?? 0)).median]),
  );
}

/** The stages of the CPU-per-entry table: both ingest instances together, then one column each. */
export const CPU_PER_ENTRY_STAGES = {
  ingest: ['ingest-1', 'ingest-2'],
  redis: ['redis'],
  worker: ['worker'],
  postgres: ['postgres'],
  nginx: ['nginx'],
};

/**
 * µs of CPU per entry of one load run, per stage and for the stack as a whole: the stage's CPU over the
 * meter's window divided by the entries Redis accepted in that same window (`steadyEntriesPerS`: the
 * entries answered 2xx, counted server-side, so wrk's requests in flight at its end do not skew it);
 * the 2xx rate of the whole run when the window has no count.
 */
export function cpuPerEntry(run) {
  if (!run.cpu) return null;
  const rate = run.steadyEntriesPerS > 0 ? run.steadyEntriesPerS : run.entriesPerS;
  if (!(rate > 0)) return null;
  const us = (percent) => (percent * 1e4) / rate; // (percent / 100) core-seconds per second / rate × 1e6
  const out = Object.fromEntries(
    Object.entries(CPU_PER_ENTRY_STAGES).map(([stage, groups]) => [
      stage,
      us(groups.reduce((sum, group) => sum + (run.cpu.percent[group] ?? 0), 0)),
    ]),
  );
  out.stack = Object.keys(CPU_PER_ENTRY_STAGES).reduce((sum, stage) => sum + out[stage], 0);
  out.entriesPerS = rate;
  return out;
}

/** The medians over runs of cpuPerEntry, per stage. */
function medianCpuPerEntry(runs) {
  const perRun = runs.map(cpuPerEntry).filter(Boolean);
  if (perRun.length === 0) return null;
  return Object.fromEntries(
    Object.keys(perRun[0]).map((key) => [key, summarize(perRun.map((run) => run[key])).median]),
  );
}

/** Which stage limits a scenario, judged from CPU: a stage at ≥ 85% of its cores, or a machine with < 10% idle. */
export function bottleneck(cpu) {
  if (!cpu) return 'no CPU data';
  const stages = Object.entries(STAGE_CORES)
    .filter(([name]) => Number.isFinite(cpu[name]))
    .map(([name, cores]) => ({ name, load: cpu[name] / (100 * cores), percent: cpu[name] }))
    .sort((a, b) => b.load - a.load);
  const saturated = stages.filter((stage) => stage.load >= 0.85);
  if (saturated.length > 0) {
    return `${saturated.map((s) => `${s.name} ${Math.round(s.percent)}%`).join(', ')} of a core: saturated`;
  }
  const top = stages
    .slice(0, 2)
    .map((s) => `${s.name} ${Math.round(s.percent)}%`)
    .join(', ');
  if (cpu.machineIdle < 10)
    return `both cores busy (idle ${Math.round(cpu.machineIdle)}%), no single stage saturated; largest: ${top}`;
  return `no stage saturated (machine idle ${Math.round(cpu.machineIdle)}%); largest: ${top}`;
}

function memoryFigures(results) {
  const runs = [
    ...Object.values(results.batch?.variants ?? {}).flatMap((variant) => variant.runs),
    ...(results.drain?.runs ?? []),
  ].filter((run) => run.memory);
  if (runs.length === 0) return null;
  const peak = (name) =>
    Math.max(...runs.map((run) => run.memory[name]?.peakMiB ?? Number.NaN).filter(Number.isFinite));
  // Within each batch run the worker keeps storing while the backlog grows: the RSS rise from the run's
  // start to the end of its load is what "flat while a backlog grows" is about.
  const batchRuns = Object.values(results.batch?.variants ?? {}).flatMap((variant) => variant.runs);
  // The peak up to the end of the load (VmHWM included) where the run recorded it, else the RSS at the
  // load's end (runs saved before loadPeakRss existed).
  const rise = (name) => {
    const rises = batchRuns
      .filter((run) => run.memory?.[name])
      .map((run) => {
        const start = run.memory[name].startMiB;
        const rise = (run.loadPeakRss?.[name] ?? run.loadEndRss[name]) - start;
        return { rise, start, share: rise / start, backlog: run.backlogPeak };
      });
    if (rises.length === 0) return null;
    return rises.reduce((worst, current) => (current.share > worst.share ? current : worst));
  };
  return {
    peakMiB: { 'ingest-1': peak('ingest-1'), 'ingest-2': peak('ingest-2'), worker: peak('worker') },
    worstRise: { 'ingest-1': rise('ingest-1'), 'ingest-2': rise('ingest-2'), worker: rise('worker') },
  };
}

/** The variant of the protocols scenario the others are compared with. */
export const PROTOCOL_YARDSTICK = 'api-json-1000';

function checkFailures(results) {
  const failures = [];
  const visit = (label, runs) =>
    runs.forEach((run, i) => {
      if (run.check && !run.check.ok)
        failures.push(`${label} run ${i + 1}: ${run.check.problems.join('; ')}`);
    });
  if (results.single) visit('1 single-entry', results.single.runs);
  for (const [name, variant] of Object.entries(results.batch?.variants ?? {}))
    visit(`2 batch ${name}`, variant.runs);
  for (const [name, variant] of Object.entries(results.protocols?.variants ?? {}))
    visit(`5 protocols ${name}`, variant.runs);
  if (results.drain) visit('3 worker drain', results.drain.runs);
  const floor = results.ceilings?.nodeHttpFloor;
  if (floor) {
    visit('floor single-entry', floor.single.runs);
    visit('floor Logpipe single-entry', floor.logpipeSingle?.runs ?? []);
    visit(`floor ${floor.batch.variant}`, floor.batch.runs);
  }
  if (results.sustained) visit('4 sustained', [results.sustained]);
  if (results.sustainedSearch) visit('4 search step', results.sustainedSearch.steps);
  if (results.syslog) visit('syslog tcp', results.syslog.runs);
  return failures;
}

function extraRows(results) {
  const runs = [
    ...(results.single?.runs ?? []),
    ...Object.values(results.batch?.variants ?? {}).flatMap((v) => v.runs),
  ];
  return runs.length === 0 ? null : Math.max(...runs.map((run) => run.check?.extraRows ?? 0));
}

/** The middle of a run's load, in epoch ms (NaN for a run saved before runs carried their times). */
function loadMidMs(run) {
  return (run.loadStartMs + run.loadEndMs) / 2;
}

/**
 * Each run of a protocol against /api/logs at the same moment: its entries/s over the /api/logs rate
 * interpolated (linearly, by time) between the /api/logs runs just before and just after it, or the one
 * on its only side; summarised over the runs. The machine's speed drifts within a bench run, and
 * this compares runs made at the same speed, where medians per variant need not.
 */
export function pairedOfApi(runs, apiRuns) {
  return summarize(ratiosToInterpolated(runs, apiRuns));
}

/**
 * Logpipe's single entry against the node:http floor at the same moment: for each floor run, the Logpipe
 * rate interpolated by time between the Logpipe runs just before and after it (the floor scenario takes
 * turns, see ceilings/node-http-floor.mjs) over the floor run's rate; summarised over the floor runs.
 */
export function pairedOfFloor(floorRuns, logpipeRuns) {
  return summarize(ratiosToInterpolated(floorRuns, logpipeRuns).map((r) => ratio(1, r)));
}

/**
 * Runs that took turns with a yardstick's, one yardstick run right after each: `values[i]` over
 * `yardsticks[i]`, summarised over the pairs.
 */
function pairedInTurn(values, yardsticks) {
  return summarize(values.map((value, i) => ratio(value, yardsticks[i])));
}

/** Each run's entries/s over the yardstick's rate interpolated to the run's time (see pairedOfApi). */
function ratiosToInterpolated(runs, yardstickRuns) {
  const api = yardstickRuns
    .map((run) => ({ at: loadMidMs(run), rate: run.entriesPerS }))
    .filter(({ at, rate }) => Number.isFinite(at) && Number.isFinite(rate))
    .sort((a, b) => a.at - b.at);
  return runs.map((run) => {
    const at = loadMidMs(run);
    if (!Number.isFinite(at) || api.length === 0) return Number.NaN;
    const after = api.findIndex((point) => point.at >= at);
    const next = after === -1 ? undefined : api[after];
    const previous = after === -1 ? api[api.length - 1] : after > 0 ? api[after - 1] : undefined;
    let expected;
    if (previous === undefined) expected = next.rate;
    else if (next === undefined || next.at === previous.at) expected = previous.rate;
    else
      expected = previous.rate + ((next.rate - previous.rate) * (at - previous.at)) / (next.at - previous.at);
    return ratio(run.entriesPerS, expected);
  });
}

/**
 * The searches of the two builds in turn (run.mjs, --sustained-baseline-dir): each round's pre-change
 * figure against this build's of the same round, and the medians. A search without a full-length pass
 * (or one that failed to run) has no figure (NaN), and neither has its pair.
 *
 * The paired median is of every round, a round without a ratio counted as 0, the worst case for this
 * build whichever side lacks the figure: when this build's search passed nothing, the pair failed; when
 * the pre-change build's passed nothing, its figure lay below every rate it tried in full, so the true
 * ratio was above this build's figure over those, never below. Counted so, a missing pair can only
 * lower the median: the target is met only when it would be met whatever the missing ratio was.
 */
export function searchTurns(turns) {
  const rate = (turn) => (Number.isFinite(turn?.ratePerS) ? turn.ratePerS : Number.NaN);
  const rounds = [...new Set(turns.map((turn) => turn.round))];
  const pairs = rounds.map((round) => {
    const baseline = rate(turns.find((turn) => turn.round === round && turn.build === 'pre-change'));
    const current = rate(turns.find((turn) => turn.round === round && turn.build === 'this'));
    return { round, baseline, current, ratio: ratio(current, baseline) };
  });
  const medianOf = (values) => summarize(values.filter(Number.isFinite)).median;
  return {
    turns,
    pairs,
    thisMedian: medianOf(pairs.map((pair) => pair.current)),
    baselineMedian: medianOf(pairs.map((pair) => pair.baseline)),
    /** Rounds without a ratio, each counted as 0 in pairedMedian. */
    missingRatios: pairs.filter((pair) => !Number.isFinite(pair.ratio)).length,
    // A pair without a figure counts as a failed pair (0): the median is of every round.
    pairedMedian: medianOf(pairs.map((pair) => (Number.isFinite(pair.ratio) ? pair.ratio : 0))),
  };
}

/** The search's figures against the pre-change build searched in turn with it, and its target. */
function searchInTurnFigures(targets, search, sustainedTurns, limit) {
  const turns = searchTurns(sustainedTurns);
  const paired = turns.pairs.map((pair) => times(pair.ratio, 2)).join(', ');
  targets.push({
    name: `sustained rate with ${limit} ≥ ${TARGETS.sustainedVsBaseline}× the pre-change build, both searched in turn in this run (median of the paired ratios) (issue 14)`,
    value: turns.pairedMedian,
    shown: `${int(turns.thisMedian)} against ${int(turns.baselineMedian)} entries/s; paired ${paired}${turns.missingRatios > 0 ? ' (— counted as 0)' : ''}: ${times(turns.pairedMedian, 2)}`,
    met: Number.isFinite(turns.pairedMedian) ? turns.pairedMedian >= TARGETS.sustainedVsBaseline : false,
  });
  return {
    ...search,
    ...turns,
    ratePerS: turns.thisMedian,
    baseline: turns.baselineMedian,
    xBaseline: turns.pairedMedian,
  };
}

/** The search's figures against a baseline given as a figure (--sustained-baseline), and its target. */
function searchFigures(targets, search, baseline, limit) {
  const rate = search.ratePerS;
  const xBaseline = ratio(rate, baseline);
  targets.push({
    name: baseline
      ? `sustained rate with ${limit} ≥ ${TARGETS.sustainedVsBaseline}× ${int(baseline)} entries/s, the pre-change baseline (issue 14)`
      : `sustained rate with ${limit} ≥ ${TARGETS.sustainedVsBaseline}× the pre-change baseline (give it with --sustained-baseline) (issue 14)`,
    value: rate,
    shown: Number.isFinite(rate)
      ? `${int(rate)} entries/s${baseline ? ` = ${times(xBaseline, 2)}` : ''}`
      : 'no full-length step passed',
    met:
      baseline && Number.isFinite(rate)
        ? rate >= TARGETS.sustainedVsBaseline * baseline
        : baseline
          ? false
          : null,
  });
  return { ...search, baseline, xBaseline };
}

/** The figures of a scenario made of interleaved variants (batch, protocols): medians of each. */
function variantFigures(variant, redisOpsPerS) {
  return {
    ...variant,
    entriesPerS: of(variant.runs, 'entriesPerS'),
    steadyEntriesPerS: of(variant.runs, 'steadyEntriesPerS'),
    rps: of(variant.runs, 'rps'),
    p50: of(variant.runs, 'p50Ms'),
    p99: of(variant.runs, 'p99Ms'),
    non2xx: variant.runs.reduce((sum, run) => sum + run.non2xx, 0),
    backlogPeak: of(variant.runs, 'backlogPeak'),
    drainS: of(variant.runs, 'drainS'),
    cpu: medianCpu(variant.runs),
    cpuPerEntry: medianCpuPerEntry(variant.runs),
    ofCeiling: ratio(of(variant.runs, 'entriesPerS').median, redisOpsPerS),
  };
}

export function deriveFigures(results) {
  const f = { targets: [] };
  const c = results.ceilings ?? {};
  f.nginx204 = c.nginx204 && {
    rps: of(c.nginx204.runs, 'rps'),
    p50: of(c.nginx204.runs, 'p50Ms'),
    p99: of(c.nginx204.runs, 'p99Ms'),
    cpu: medianCpu(c.nginx204.runs),
  };
  f.redis = c.redisXadd && {
    opsPerS: of(c.redisXadd.runs, 'opsPerS'),
    valueBytes: c.redisXadd.valueBytes,
    pipeline: c.redisXadd.pipeline,
  };
  f.copy = c.pgCopy && { rowsPerS: of(c.pgCopy.runs, 'rowsPerS'), rows: c.pgCopy.runs[0]?.rows };

  const ref = results.reference;
  f.reference =
    ref && !ref.skipped
      ? {
          rps: of(ref.singleEntry.runs, 'rps'),
          p50: of(ref.singleEntry.runs, 'p50Ms'),
          p99: of(ref.singleEntry.runs, 'p99Ms'),
          non2xx: ref.singleEntry.runs.reduce((sum, run) => sum + run.non2xx, 0),
          cpu: medianCpu(ref.singleEntry.runs),
          drainRowsPerS: of(ref.drain.runs, 'rowsPerS'),
        }
      : null;

  if (results.single) {
    const runs = results.single.runs;
    f.single = {
      rps: of(runs, 'rps'),
      p50: of(runs, 'p50Ms'),
      p99: of(runs, 'p99Ms'),
      non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
      socketErrors: runs.reduce((sum, run) => sum + run.socketErrors, 0),
      cpu: medianCpu(runs),
    };
    f.single.ofCeiling = ratio(f.single.rps.median, f.nginx204?.rps.median);
    f.single.xReference = ratio(f.single.rps.median, f.reference?.rps.median);
    // The reference's runs taking turns with Logpipe's (scenario 1 with the reference in the run): each
    // Logpipe run against the reference's right after it, and the target takes the median of those.
    const referenceRuns = ref && !ref.skipped && ref.singleEntry.inTurn ? ref.singleEntry.runs : null;
    if (referenceRuns && referenceRuns.length === runs.length) {
      const paired = pairedInTurn(
        runs.map((run) => run.rps),
        referenceRuns.map((run) => run.rps),
      );
      f.single.xReferencePaired = paired;
      f.single.xReferenceOfMedians = f.single.xReference;
      f.single.xReference = paired.median;
    }
    for (const [target, issue] of [
      [TARGETS.singleVsReference, 'issue 5'],
      [TARGETS.singleVsReferenceRound2, 'issue 14'],
    ]) {
      f.targets.push({
        name: `single-entry ingest ≥ ${target}× the reference, same run${f.single.xReferencePaired ? ', runs in turn (median of the paired ratios)' : ''} (${issue})`,
        value: f.single.xReference,
        met: Number.isFinite(f.single.xReference) ? f.single.xReference >= target : null,
      });
    }
  }

  if (results.batch) {
    f.batch = Object.fromEntries(
      Object.entries(results.batch.variants).map(([name, variant]) => [
        name,
        variantFigures(variant, f.redis?.opsPerS.median),
      ]),
    );
    const best = Object.entries(f.batch).sort((a, b) => b[1].entriesPerS.median - a[1].entriesPerS.median)[0];
    f.bestBatch = { name: best[0], ...best[1] };
    f.targets.push({
      name: `batch ingest ≥ ${int(TARGETS.batchEntriesPerS)} entries/s (best variant: ${best[0]}) (issue 5)`,
      value: best[1].entriesPerS.median,
      met: best[1].entriesPerS.median >= TARGETS.batchEntriesPerS,
    });
    // Issue 14: each of json-1000 and gzip NDJSON-1000, with the worker running, on its own.
    for (const name of ROUND2_BATCH_VARIANTS) {
      const b = f.batch[name];
      if (!b) continue;
      f.targets.push({
        name: `batch ${name} ≥ ${int(TARGETS.batchEntriesPerSRound2)} entries/s answered 2xx (issue 14)`,
        value: b.entriesPerS.median,
        met: b.entriesPerS.median >= TARGETS.batchEntriesPerSRound2,
      });
      for (const [stage, label, limit] of [
        ['ingest', 'ingest (both instances)', TARGETS.ingestCpuUsPerEntry],
        ['redis', 'Redis', TARGETS.redisCpuUsPerEntry],
      ]) {
        const us = b.cpuPerEntry?.[stage] ?? Number.NaN;
        f.targets.push({
          name: `batch ${name}: ${label} ≤ ${limit} µs of CPU per entry (issue 14)`,
          value: us,
          met: Number.isFinite(us) ? us <= limit : null,
        });
      }
    }
  }

  if (c.nodeHttpFloor) {
    // Issue 14's floor: node:http in ingest's place, same nginx, validator, XADD and worker. Logpipe's
    // figures of scenarios 1 and 2 (same run) as a fraction of it.
    const floor = c.nodeHttpFloor;
    const variant = floor.batch.variant;
    f.floor = {
      single: {
        rps: of(floor.single.runs, 'rps'),
        p50: of(floor.single.runs, 'p50Ms'),
        p99: of(floor.single.runs, 'p99Ms'),
        cpu: medianCpu(floor.single.runs),
      },
      batch: {
        variant,
        entriesPerS: of(floor.batch.runs, 'entriesPerS'),
        cpu: medianCpu(floor.batch.runs),
        cpuPerEntry: medianCpuPerEntry(floor.batch.runs),
      },
    };
    // Since the floor takes turns with Logpipe's own single-entry runs, each floor run is paired with
    // Logpipe at its time; a run saved before that compares scenario 1's median with the floor's.
    const paired = floor.logpipeSingle?.runs ?? [];
    f.floor.logpipeSingle = paired.length > 0 ? { rps: of(paired, 'rps') } : null;
    f.floor.singleOfFloorOfMedians = ratio(
      (f.floor.logpipeSingle ?? f.single)?.rps.median,
      f.floor.single.rps.median,
    );
    f.floor.singlePaired = paired.length > 0 ? pairedOfFloor(floor.single.runs, paired) : null;
    f.floor.singleOfFloor = f.floor.singlePaired?.median ?? f.floor.singleOfFloorOfMedians;
    f.floor.batchOfFloor = ratio(f.batch?.[variant]?.entriesPerS.median, f.floor.batch.entriesPerS.median);
    f.targets.push({
      name: `single-entry ingest ≥ ${Math.round(TARGETS.singleVsFloor * 100)}% of the node:http floor, same run (issue 14)`,
      value: f.floor.singleOfFloor,
      met: Number.isFinite(f.floor.singleOfFloor) ? f.floor.singleOfFloor >= TARGETS.singleVsFloor : null,
    });
  }

  if (results.protocols) {
    f.protocols = Object.fromEntries(
      Object.entries(results.protocols.variants).map(([name, variant]) => [
        name,
        variantFigures(variant, f.redis?.opsPerS.median),
      ]),
    );
    const apiRuns = results.protocols.variants[PROTOCOL_YARDSTICK]?.runs ?? [];
    const yardstick = f.protocols[PROTOCOL_YARDSTICK]?.entriesPerS.median;
    for (const [name, p] of Object.entries(f.protocols)) {
      if (name === PROTOCOL_YARDSTICK) continue;
      p.ofApiOfMedians = ratio(p.entriesPerS.median, yardstick);
      p.pairedOfApi = pairedOfApi(p.runs, apiRuns);
      // The paired median where the runs carry their times (runs saved before they did: the medians').
      p.ofApi = p.pairedOfApi.n > 0 ? p.pairedOfApi.median : p.ofApiOfMedians;
      f.targets.push({
        name: `${name} ≥ ${Math.round(TARGETS.protocolVsApi * 100)}% of /api/logs json-1000 entries/s, same run (issue 10)`,
        value: p.ofApi,
        met: Number.isFinite(p.ofApi) ? p.ofApi >= TARGETS.protocolVsApi : null,
      });
    }
  }

  if (results.syslog) {
    // Issue 15: syslog over TCP through nginx's stream proxy against /api/logs json-1000 in the same run.
    // The protocols scenario's interleaved json-1000 when it ran, else scenario 2's.
    const json1000 = (f.protocols?.[PROTOCOL_YARDSTICK] ?? f.batch?.['json-1000'])?.entriesPerS.median;
    f.syslog = {
      connections: results.syslog.connections,
      entriesPerS: of(results.syslog.runs, 'entriesPerS'),
      steadyEntriesPerS: of(results.syslog.runs, 'steadyEntriesPerS'),
      ofJson1000: ratio(of(results.syslog.runs, 'entriesPerS').median, json1000),
    };
    f.targets.push({
      name: `syslog TCP ≥ ${Math.round(TARGETS.syslogVsJson1000 * 100)}% of /api/logs json-1000 entries/s (issue 15)`,
      value: f.syslog.ofJson1000,
      met: Number.isFinite(f.syslog.ofJson1000) ? f.syslog.ofJson1000 >= TARGETS.syslogVsJson1000 : null,
    });
  }

  if (results.drain) {
    const runs = results.drain.runs;
    const steadyRates = runs.map((run) => run.rows / run.secondsFromFirstRow);
    f.drain = {
      entries: results.drain.entries,
      rowsPerS: of(runs, 'rowsPerS'),
      seconds: of(runs, 'seconds'),
      startupS: of(runs, 'startupS'),
      steadyRowsPerS: summarize(steadyRates),
      cpu: medianCpu(runs),
      // Per row stored, over the whole drain (the worker's start-up included).
      cpuPerEntry: medianCpuPerEntry(runs.map((run) => ({ cpu: run.cpu, entriesPerS: run.rowsPerS }))),
    };
    f.drain.ofCopy = ratio(f.drain.rowsPerS.median, f.copy?.rowsPerS.median);
    f.drain.steadyOfCopy = ratio(f.drain.steadyRowsPerS.median, f.copy?.rowsPerS.median);
    // The \copy runs taking turns with the drain's (pg-copy.mjs): each drain run against the \copy run
    // right after it, and the targets take the median of those.
    const copyRuns = c.pgCopy?.inTurn ? c.pgCopy.runs : null;
    if (copyRuns && copyRuns.length === runs.length) {
      const copyRates = copyRuns.map((run) => run.rowsPerS);
      f.drain.ofCopyPaired = pairedInTurn(
        runs.map((run) => run.rowsPerS),
        copyRates,
      );
      f.drain.steadyOfCopyPaired = pairedInTurn(steadyRates, copyRates);
      f.drain.ofCopyOfMedians = f.drain.ofCopy;
      f.drain.ofCopy = f.drain.ofCopyPaired.median;
      f.drain.steadyOfCopy = f.drain.steadyOfCopyPaired.median;
    }
    const inTurn = f.drain.ofCopyPaired ? ', runs in turn (median of the paired ratios)' : '';
    f.drain.xReference = ratio(f.drain.rowsPerS.median, f.reference?.drainRowsPerS.median);
    for (const [target, issue] of [
      [TARGETS.drainVsCopy, 'issue 5'],
      [TARGETS.drainVsCopyRound2, 'issue 14'],
    ]) {
      f.targets.push({
        name: `worker drain ≥ ${Math.round(target * 100)}% of psql \\copy of the same rows${inTurn} (${issue})`,
        value: f.drain.ofCopy,
        met: Number.isFinite(f.drain.ofCopy) ? f.drain.ofCopy >= target : null,
      });
    }
    // The same comparison without the worker's cold start (Node, Nest, TypeORM: ~1.5 s of an ~9 s drain),
    // which \copy does not pay: the rate at which the running worker stores rows. Shown beside, not instead.
    f.targets.push({
      name: `worker drain counted from its first row stored ≥ ${Math.round(TARGETS.drainVsCopyRound2 * 100)}% of psql \\copy${inTurn} (issue 14, start-up excluded)`,
      value: f.drain.steadyOfCopy,
      met: Number.isFinite(f.drain.steadyOfCopy) ? f.drain.steadyOfCopy >= TARGETS.drainVsCopyRound2 : null,
    });
  }

  if (results.sustained) {
    const s = results.sustained;
    f.sustained = { ...s, cpu: s.cpu?.percent ?? null };
    f.targets.push({
      name: `freshness p99 < ${TARGETS.freshnessP99Ms} ms at half the maximum sustained rate (${s.rateNote ?? ''}) (issue 5)`,
      value: s.freshnessP99,
      met: Number.isFinite(s.freshnessP99) ? s.freshnessP99 < TARGETS.freshnessP99Ms : null,
    });
  }

  if (results.sustainedSearch) {
    const search = results.sustainedSearch;
    const limit = `freshness p99 < ${FRESHNESS_LIMIT_MS / 1000} s for ${search.fullSeconds} s`;
    if (results.sustainedTurns)
      f.search = searchInTurnFigures(f.targets, search, results.sustainedTurns, limit);
    else f.search = searchFigures(f.targets, search, results.options?.sustainedBaseline ?? null, limit);
  }

  f.memory = memoryFigures(results);
  if (f.memory) {
    const { peakMiB, worstRise } = f.memory;
    const ingestPeak = Math.max(peakMiB['ingest-1'], peakMiB['ingest-2']);
    f.targets.push({
      name: `ingest peak RSS ≤ ${TARGETS.ingestRssMiB} MiB (issues 5, 14)`,
      value: ingestPeak,
      met: ingestPeak <= TARGETS.ingestRssMiB,
    });
    f.targets.push({
      name: `worker peak RSS ≤ ${TARGETS.workerRssMiB} MiB (issues 5, 14)`,
      value: peakMiB.worker,
      met: peakMiB.worker <= TARGETS.workerRssMiB,
    });
    const rises = Object.values(worstRise).filter(Boolean);
    if (rises.length > 0) {
      const worst = Math.max(...rises.map((r) => r.share));
      f.targets.push({
        name: `RSS flat while the backlog grows: largest rise within a batch run < ${TARGETS.flatRise * 100}% of the RSS at its start, each of ingest-1, ingest-2, worker (issues 5, 14)`,
        value: worst,
        met: worst < TARGETS.flatRise,
      });
    }
  }

  f.checkFailures = checkFailures(results);
  f.maxExtraRows = extraRows(results);
  f.targets.push({
    name: 'every run: rows stored = entries accepted, ≥ 2xx entries',
    value: null,
    met: f.checkFailures.length === 0,
  });
  return f;
}
