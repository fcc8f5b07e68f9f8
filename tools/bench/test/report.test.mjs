import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bottleneck, cpuPerEntry, deriveFigures, pairedOfApi, searchTurns } from '../lib/figures.mjs';
import { renderMarkdown } from '../lib/report.mjs';

const cpu = (percent) => ({ seconds: 10, percent: { machineIdle: 20, other: 5, ...percent } });
const ok = { ok: true, extraRows: 10, problems: [] };

function wrkRun(rps, extra = {}) {
  return {
    rps,
    p50Ms: 2,
    p99Ms: 9,
    non2xx: 0,
    socketErrors: 0,
    ok: rps * 10,
    durationS: 10,
    check: ok,
    cpu: cpu({ 'ingest-1': 95, nginx: 60 }),
    ...extra,
  };
}

function batchRun(entriesPerS, rss) {
  return {
    ...wrkRun(entriesPerS / 100),
    entriesPerS,
    steadyEntriesPerS: entriesPerS * 1.02,
    backlogPeak: 50000,
    drainS: 2,
    memory: {
      'ingest-1': { startMiB: 100, endMiB: 110, peakMiB: rss },
      'ingest-2': { startMiB: 100, endMiB: 100, peakMiB: 120 },
      worker: { startMiB: 150, endMiB: 152, peakMiB: 160 },
    },
    loadEndRss: { 'ingest-1': 104, 'ingest-2': 101, worker: 151 },
  };
}

function results({ referenceRps = 1000 } = {}) {
  return {
    startedAt: '2026-11-26T10:00:00.000Z',
    mode: 'full',
    machine: {
      cores: 2,
      cpu: 'AMD EPYC',
      memoryGiB: 24,
      kernel: '6.1',
      node: 'v20',
      nginx: '1.22.1',
      redis: '7.0.15',
      postgres: '15.20',
      wrk: '4.1.0',
      commit: 'abc123',
    },
    loadBefore: ['0.50', '0.40', '0.30'],
    loadAfter: ['1.90', '1.00', '0.50'],
    wallSeconds: 540,
    options: {
      stateDir: '.bench/stack',
      portBase: 8288,
      runs: 3,
      loadSeconds: 10,
      batchSeconds: 5,
      singleConnections: 64,
      batchConnections: 16,
      drainEntries: 200000,
      sustainedSeconds: 60,
    },
    stackEnv: { RATE_LIMIT_RPS: '1000000' },
    ceilings: {
      nginx204: { runs: [wrkRun(40000), wrkRun(42000), wrkRun(41000)] },
      redisXadd: {
        valueBytes: 298,
        pipeline: 16,
        runs: [{ opsPerS: 200000 }, { opsPerS: 180000 }, { opsPerS: 190000 }],
      },
      pgCopy: { runs: [{ rowsPerS: 100000, rows: 200000 }, { rowsPerS: 90000 }, { rowsPerS: 110000 }] },
    },
    single: { connections: 64, runs: [wrkRun(9000), wrkRun(8500), wrkRun(9500)] },
    batch: {
      variants: {
        'json-100': {
          format: 'json',
          entriesPerRequest: 100,
          bodyBytes: 31682,
          runs: [batchRun(85000, 130), batchRun(80000, 140), batchRun(90000, 135)],
        },
        'ndjson-gzip-1000': {
          format: 'ndjson-gzip',
          entriesPerRequest: 1000,
          bodyBytes: 52823,
          runs: [batchRun(60000, 120), batchRun(61000, 120), batchRun(62000, 120)],
        },
      },
    },
    drain: {
      entries: 200000,
      runs: [85000, 80000, 90000].map((rowsPerS) => ({
        rowsPerS,
        rows: 200000,
        seconds: 200000 / rowsPerS,
        secondsFromFirstRow: 2,
        startupS: 0.5,
        check: ok,
        memory: { worker: { startMiB: 90, endMiB: 150, peakMiB: 170 } },
        cpu: cpu({ worker: 99, postgres: 70 }),
      })),
    },
    sustained: {
      offeredPerS: 40000,
      rateNote: 'half of 80,000',
      batchSize: 100,
      durationS: 60,
      freshnessP50: 120,
      freshnessP99: 430,
      freshnessMax: 600,
      samples: 24000,
      acceptedPerS: 40000,
      backlogMax: 9000,
      backlogAtEnd: 100,
      check: ok,
      cpu: cpu({ worker: 60 }),
    },
    reference: referenceRps
      ? {
          singleEntry: { runs: [wrkRun(referenceRps), wrkRun(referenceRps)] },
          drain: { runs: [{ rowsPerS: 8800 }] },
        }
      : { skipped: '../shared/seed-baseline is absent' },
  };
}

test('figures are medians with ratios to the ceilings and to the reference, judged against the targets', () => {
  const f = deriveFigures(results());
  assert.equal(f.single.rps.median, 9000);
  assert.equal(f.single.xReference, 9);
  assert.ok(Math.abs(f.single.ofCeiling - 9000 / 41000) < 1e-12);
  assert.equal(f.bestBatch.name, 'json-100');
  assert.equal(f.drain.ofCopy, 0.85);
  assert.equal(f.memory.peakMiB['ingest-1'], 140);
  assert.equal(f.memory.peakMiB.worker, 170);
  const met = Object.fromEntries(f.targets.map((t) => [t.name, t.met]));
  assert.deepEqual(met, {
    'single-entry ingest ≥ 8× the reference, same run (issue 5)': true,
    'single-entry ingest ≥ 2.5× the reference, same run (issue 14)': true,
    'batch ingest ≥ 80,000 entries/s (best variant: json-100) (issue 5)': true,
    'batch ndjson-gzip-1000 ≥ 100,000 entries/s answered 2xx (issue 14)': false,
    'batch ndjson-gzip-1000: ingest (both instances) ≤ 6 µs of CPU per entry (issue 14)': false,
    'batch ndjson-gzip-1000: Redis ≤ 1 µs of CPU per entry (issue 14)': true,
    'worker drain ≥ 80% of psql \\copy of the same rows (issue 5)': true,
    'worker drain ≥ 90% of psql \\copy of the same rows (issue 14)': false,
    // 200,000 rows in 2 s from the first row = 100,000 rows/s, the \copy median.
    'worker drain counted from its first row stored ≥ 90% of psql \\copy (issue 14, start-up excluded)': true,
    'freshness p99 < 500 ms at half the maximum sustained rate (half of 80,000) (issue 5)': true,
    'ingest peak RSS ≤ 150 MiB (issues 5, 14)': true,
    'worker peak RSS ≤ 200 MiB (issues 5, 14)': true,
    'RSS flat while the backlog grows: largest rise within a batch run < 10% of the RSS at its start, each of ingest-1, ingest-2, worker (issues 5, 14)': true,
    'every run: rows stored = entries accepted, ≥ 2xx entries': true,
  });
});

test('CPU per entry: the CPU of each stage over the window ÷ the entries accepted in it, ingest instances together', () => {
  const perEntry = cpuPerEntry({
    entriesPerS: 50000,
    steadyEntriesPerS: 40000,
    cpu: cpu({ 'ingest-1': 40, 'ingest-2': 44, redis: 8, worker: 30, postgres: 50, nginx: 2 }),
  });
  // 84% of a core for 40,000 entries/s: 0.84 s / 40,000 = 21 µs.
  assert.ok(Math.abs(perEntry.ingest - 21) < 1e-9);
  assert.ok(Math.abs(perEntry.redis - 2) < 1e-9);
  assert.ok(Math.abs(perEntry.stack - (84 + 8 + 30 + 50 + 2) / 4) < 1e-9);
  assert.equal(perEntry.entriesPerS, 40000);
  // Without a count in the window: the 2xx rate of the run.
  assert.equal(
    cpuPerEntry({ entriesPerS: 50000, steadyEntriesPerS: Number.NaN, cpu: cpu({ redis: 5 }) }).redis,
    1,
  );
  assert.equal(cpuPerEntry({ entriesPerS: 50000 }), null);
});

test('the RSS rise is judged from the peak during the load, per process, as a share of its start', () => {
  const r = results();
  r.batch.variants['json-100'].runs[0].loadPeakRss = { 'ingest-1': 100, 'ingest-2': 100, worker: 170 };
  const f = deriveFigures(r);
  assert.equal(f.memory.worstRise.worker.rise, 20);
  assert.ok(Math.abs(f.memory.worstRise.worker.share - 20 / 150) < 1e-12);
  const flat = f.targets.find((t) => t.name.startsWith('RSS flat'));
  assert.equal(flat.met, false);
  assert.match(renderMarkdown(r, f, {}), /\+20 = \+13% \(from 150, backlog 50,000\)/);
  assert.match(renderMarkdown(r, f, {}), /\| RSS flat while the backlog grows: .* \| 13% \| \*\*no\*\* \|/);
});

/** A rate search's result (scenarios/sustained-search.mjs) of 20 s probes and 60 s steps from 10,000. */
function searchResult(ratePerS, steps) {
  return {
    fullSeconds: 60,
    probeSeconds: 20,
    startRate: 10000,
    startNote: 'set with --search-start',
    steps,
    ratePerS,
    loadSeconds: 100,
  };
}

test('the rate search: the figure, the baseline target and every step in the table', () => {
  const r = results();
  const step = (kind, offeredPerS, pass, durationS = 20) => ({
    kind,
    durationS,
    offeredPerS,
    acceptedPerS: offeredPerS,
    storedPerS: offeredPerS,
    freshnessP50: 200,
    freshnessP99: pass ? 600 : 3000,
    freshnessP99LastQuarter: pass ? 650 : 4000,
    backlogMax: 5000,
    backlogAtEnd: 100,
    backlogSlope: pass ? 3 : 900,
    pass,
    reasons: pass ? [] : ['p99 3000 ms'],
    check: ok,
  });
  r.options.sustainedBaseline = 8000;
  r.options.freshBatch = 100;
  r.sustainedSearch = searchResult(10000, [
    step('probe', 10000, true),
    step('probe', 15000, false),
    step('confirm', 10000, true, 60),
  ]);
  const f = deriveFigures(r);
  const target = f.targets.find((t) => t.name.startsWith('sustained rate'));
  assert.equal(target.met, false);
  assert.equal(target.shown, '10,000 entries/s = 1.25×');
  const markdown = renderMarkdown(r, f, {});
  assert.match(
    markdown,
    /\| sustained rate with freshness p99 < 1 s for 60 s ≥ 1\.5× 8,000 entries\/s, the pre-change baseline \(issue 14\) \| 10,000 entries\/s = 1\.25× \| \*\*no\*\* \|/,
  );
  assert.match(
    markdown,
    /\| probe \| 20 \| 15,000 \| 15,000 \| 15,000 \| 200 \/ 3000 \(4000\) \| 5,000 \/ 100; \+900\/s \| fail: p99 3000 ms \|/,
  );
  assert.match(markdown, /\| confirm \| 60 \| 10,000 .* \| pass \|/);
  assert.match(markdown, /pre-change baseline \(--sustained-baseline\): 8,000 \| 1\.25×/);
  delete r.options.sustainedBaseline;
  assert.equal(deriveFigures(r).targets.find((t) => t.name.startsWith('sustained rate')).met, null);
});

test('a missing reference leaves its ratios unmeasured instead of failing them', () => {
  const f = deriveFigures(results({ referenceRps: 0 }));
  assert.equal(f.reference, null);
  assert.equal(f.targets.find((t) => t.name.startsWith('single-entry')).met, null);
  const markdown = renderMarkdown(results({ referenceRps: 0 }), f, {});
  assert.match(markdown, /Reference: \.\.\/shared\/seed-baseline is absent\./);
  assert.match(
    markdown,
    /\| single-entry ingest ≥ 8× the reference, same run \(issue 5\) \| — \| not measured \|/,
  );
});

test('a failed delivery check is listed and fails its target', () => {
  const r = results();
  r.single.runs[1].check = { ok: false, extraRows: -5, problems: ['5 entries answered 2xx are missing'] };
  const f = deriveFigures(r);
  assert.deepEqual(f.checkFailures, ['1 single-entry run 2: 5 entries answered 2xx are missing']);
  assert.equal(f.targets.at(-1).met, false);
});

test('the Markdown holds the heading, the summary with min–max, the targets, the CPU table and the chart', () => {
  const r = results();
  const markdown = renderMarkdown(r, deriveFigures(r), { chartLink: 'docs/bench/x.svg' });
  assert.match(markdown, /^### 2026-11-26 10:00 UTC — full run$/m);
  assert.match(markdown, /Load average \(1\/5\/15 min\) before: 0\.50 0\.40 0\.30; after: 1\.90 1\.00 0\.50/);
  assert.match(
    markdown,
    /\| 1 \| single entry `POST \/api\/log`, 64 connections: req\/s \| 9,000 \(8,500–9,500\) \| nginx `return 204`: 41,000 \(40,000–42,000\) \| 22% \| 1,000 \| 9\.0× \|/,
  );
  assert.match(
    markdown,
    /psql `\\copy` of the same rows: 100,000 \(90,000–110,000\) \| 85% \| 8,800 \| 9\.7× \|/,
  );
  assert.match(
    markdown,
    /\| worker drain ≥ 80% of psql \\copy of the same rows \(issue 5\) \| 85% \| yes \|/,
  );
  assert.match(markdown, /\| 1 single entry \| 60 \| 95 \|.*ingest-1 95% of a core: saturated \|/);
  // CPU per entry: ingest-1's 95% of a core over json-100's 86,700 entries/s in the window = 10.96 µs.
  assert.match(
    markdown,
    /\| 2 batch json-100 \| 11\.0 \| 0\.0 \| 0\.0 \| 0\.0 \| 6\.9 \| 17\.9 \| 86,700 \|/,
  );
  assert.match(
    markdown,
    /!\[Scenario 4: throughput, freshness and backlog over time\]\(docs\/bench\/x\.svg\)/,
  );
  assert.doesNotMatch(markdown, /NaN|undefined/);
});

test('bottleneck names a saturated stage, else says whether the machine itself is busy', () => {
  assert.match(
    bottleneck({ worker: 97, postgres: 40, machineIdle: 30 }),
    /^worker 97% of a core: saturated$/,
  );
  assert.match(
    bottleneck({ nginx: 120, 'ingest-1': 70, machineIdle: 3 }),
    /both cores busy \(idle 3%\).*largest: ingest-1 70%, nginx 120%$/,
  );
  assert.match(bottleneck({ worker: 30, machineIdle: 60 }), /no stage saturated \(machine idle 60%\)/);
});

test('the protocols scenario compares each protocol with /api/logs json-1000 of the same run', () => {
  const variant = (path, rates) => ({
    format: 'protobuf',
    path,
    entriesPerRequest: 1000,
    bodyBytes: 100000,
    runs: rates.map((rate) => batchRun(rate, 120)),
  });
  const figures = deriveFigures({
    protocols: {
      variants: {
        'api-json-1000': variant('/api/logs', [50000, 60000, 55000]),
        'otlp-protobuf-1000': variant('/v1/logs', [52000, 51000, 50000]),
        'es-bulk-1000': variant('/elasticsearch/_bulk', [40000, 45000, 44000]),
      },
    },
  });
  assert.equal(figures.protocols['otlp-protobuf-1000'].ofApi, 51000 / 55000);
  const targets = Object.fromEntries(figures.targets.map((t) => [t.name.split(' ')[0], t]));
  assert.equal(targets['otlp-protobuf-1000'].met, true);
  assert.equal(targets['es-bulk-1000'].met, false);
  assert.equal(targets['api-json-1000'], undefined);
  const markdown = renderMarkdown(
    { ...results(), protocols: undefined },
    { ...deriveFigures(results()), protocols: figures.protocols },
  );
  assert.match(markdown, /\| otlp-protobuf-1000 \| `\/v1\/logs` \|/);
  assert.match(markdown, /5 protocols es-bulk-1000/);
});

test('a section of a run limited with --only says so in its heading', () => {
  const full = renderMarkdown(results(), deriveFigures(results()));
  assert.match(full, /^### 2026-11-26 10:00 UTC — full run$/m);
  const limited = { ...results(), options: { ...results().options, only: ['protocols'] } };
  assert.match(
    renderMarkdown(limited, deriveFigures(limited)),
    /^### 2026-11-26 10:00 UTC — full run, only protocols \(`--only`\)$/m,
  );
});

test('a protocol run is compared with the /api/logs rate interpolated to its time between its neighbours', () => {
  // /api/logs at 40k, then the machine slows down: 20k ten seconds later, 20k again after twenty.
  const at = (entriesPerS, startS) => ({
    entriesPerS,
    loadStartMs: startS * 1000,
    loadEndMs: startS * 1000 + 4000,
  });
  const api = [at(40000, 0), at(20000, 10), at(20000, 20)];
  // 2.5 s after the first api run's middle: a quarter of the way to the second, where /api/logs ran ~35k.
  const paired = pairedOfApi([at(35000, 2.5), at(18000, 15), at(30000, 30)], api);
  assert.equal(paired.n, 3);
  // 35k / 35k = 1; 18k / 20k = 0.9; the last run is after every /api/logs run: 30k / 20k = 1.5.
  assert.equal(paired.min, 0.9);
  assert.equal(paired.median, 1);
  assert.equal(paired.max, 1.5);
  // Runs saved before they carried their times give no pairs.
  assert.equal(pairedOfApi([{ entriesPerS: 1 }], api).n, 0);
});

test('the protocols target uses the paired ratios when the runs carry their times', () => {
  const timed = (rates, offsetS) =>
    rates.map((rate, i) => ({
      ...batchRun(rate, 120),
      loadStartMs: (offsetS + 10 * i) * 1000,
      loadEndMs: (offsetS + 10 * i + 4) * 1000,
    }));
  const variant = (path, runs) => ({ format: 'json', path, entriesPerRequest: 1000, bodyBytes: 1, runs });
  // The machine halves its speed after the first round: the first es run is compared with the rate
  // /api/logs had at its time, halfway between its neighbours, not with the median.
  const figures = deriveFigures({
    protocols: {
      variants: {
        'api-json-1000': variant('/api/logs', timed([50000, 25000, 25000, 25000], 0)),
        'es-bulk-1000': variant('/elasticsearch/_bulk', timed([45000, 23000, 22500], 5)),
      },
    },
  });
  const es = figures.protocols['es-bulk-1000'];
  assert.equal(es.ofApiOfMedians, 23000 / 25000);
  assert.equal(es.ofApi, es.pairedOfApi.median);
  assert.ok(Math.abs(es.pairedOfApi.median - 23000 / 25000) < 1e-9);
  // The first run sits halfway between 50k and 25k: 45k / 37.5k.
  assert.ok(Math.abs(es.pairedOfApi.max - 45000 / 37500) < 1e-9);
  const markdown = renderMarkdown(
    { ...results(), protocols: undefined },
    { ...deriveFigures(results()), protocols: figures.protocols },
  );
  assert.match(markdown, /\| es-bulk-1000 \| `\/elasticsearch\/_bulk` \|.*\| 92% \(90%–120%\) \| 92% \|/);
});

test('the node:http floor gives "Logpipe as a fraction of the floor" for single entries and json-1000', () => {
  const r = results();
  r.batch.variants['json-1000'] = {
    format: 'json',
    entriesPerRequest: 1000,
    bodyBytes: 300000,
    runs: [batchRun(50000, 120), batchRun(52000, 120), batchRun(48000, 120)],
  };
  r.ceilings.nodeHttpFloor = {
    single: { connections: 64, runs: [wrkRun(10000), wrkRun(12000), wrkRun(11000)] },
    batch: {
      variant: 'json-1000',
      runs: [batchRun(100000, 100), batchRun(90000, 100), batchRun(110000, 100)],
    },
  };
  const f = deriveFigures(r);
  // Medians: single 9,000 of 11,000; json-1000 50,000 of 100,000.
  assert.equal(f.floor.singleOfFloor, 9000 / 11000);
  assert.equal(f.floor.batchOfFloor, 0.5);
  const target = f.targets.find((t) => t.name.includes('node:http floor'));
  assert.deepEqual([target.value, target.met], [9000 / 11000, false]);
  const markdown = renderMarkdown(r, f);
  assert.match(markdown, /Logpipe as a fraction of the floor: single entry.*\| 82% \|/);
  assert.match(markdown, /Logpipe as a fraction of the floor: `POST \/api\/logs` json-1000.*\| 50% \|/);
  assert.match(markdown, /floor: node:http single entry/);
  // Its runs' delivery checks count like the others'.
  r.ceilings.nodeHttpFloor.batch.runs[0].check = { ok: false, extraRows: 0, problems: ['1 row missing'] };
  assert.match(deriveFigures(r).checkFailures.join('\n'), /floor json-1000 run 1: 1 row missing/);
});

test('with Logpipe runs taking turns with the floor, each floor run is paired with Logpipe at its time', () => {
  const r = results();
  const timed = (rps, startS) => ({
    ...wrkRun(rps),
    entriesPerS: rps,
    loadStartMs: startS * 1000,
    loadEndMs: startS * 1000 + 10000,
  });
  // The machine speeds up through the run: Logpipe 6k, 8k, 8k, 10k between floor runs of 8k, 9k, 12k.
  r.ceilings.nodeHttpFloor = {
    single: { connections: 64, runs: [timed(8000, 20), timed(9000, 60), timed(12000, 100)] },
    logpipeSingle: {
      connections: 64,
      runs: [timed(6000, 0), timed(8000, 40), timed(8000, 80), timed(10000, 120)],
    },
    batch: { variant: 'json-1000', runs: [batchRun(100000, 100)] },
  };
  const f = deriveFigures(r);
  // Each floor run sits halfway between two Logpipe runs: 7k / 8k, 8k / 9k, 9k / 12k.
  assert.ok(Math.abs(f.floor.singlePaired.median - 7000 / 8000) < 1e-9);
  assert.ok(Math.abs(f.floor.singlePaired.min - 9000 / 12000) < 1e-9);
  assert.ok(Math.abs(f.floor.singlePaired.max - 8000 / 9000) < 1e-9);
  assert.equal(f.floor.singleOfFloor, f.floor.singlePaired.median);
  // Medians: Logpipe 8k (of its own four runs in the floor scenario, not scenario 1's) of the floor's 9k.
  assert.equal(f.floor.singleOfFloorOfMedians, 8000 / 9000);
  const target = f.targets.find((t) => t.name.includes('node:http floor'));
  assert.equal(target.value, f.floor.singlePaired.median);
  const markdown = renderMarkdown(r, f);
  assert.match(
    markdown,
    /Logpipe as a fraction of the floor: single entry, 64 connections: req\/s \(Logpipe's runs taking turns.*\| 8,000 \(6,000–10,000\) \|.*\| 88% \(75%–89%; ratio of the medians 89%\) \|/,
  );
  // Logpipe's own runs in the floor scenario are checked for delivery like the others.
  r.ceilings.nodeHttpFloor.logpipeSingle.runs[2].check = {
    ok: false,
    extraRows: 0,
    problems: ['2 rows missing'],
  };
  assert.match(deriveFigures(r).checkFailures.join('\n'), /floor Logpipe single-entry run 3: 2 rows missing/);
});

test('the two builds searched in turn: paired ratios per round, their median is the target', () => {
  const turn = (round, build, ratePerS, startedAt) => ({
    round,
    build,
    commit: build === 'this' ? 'abc1234' : 'f73fcd7',
    startedAt,
    seconds: 300,
    startRate: 10000,
    ratePerS,
    steps: [
      { kind: 'probe', offeredPerS: 10000, durationS: 20, pass: true },
      { kind: 'confirm', offeredPerS: ratePerS, durationS: 60, pass: true },
    ],
  });
  const r = results();
  r.options.freshBatch = 100;
  r.sustainedSearch = searchResult(16000, []);
  r.sustainedTurns = [
    turn(1, 'pre-change', 10000, '2026-12-03T12:00:00.000Z'),
    turn(1, 'this', 16000, '2026-12-03T12:05:00.000Z'),
    turn(2, 'pre-change', 12000, '2026-12-03T12:10:00.000Z'),
    turn(2, 'this', 15000, '2026-12-03T12:15:00.000Z'),
  ];
  const f = deriveFigures(r);
  // Paired 1.6× and 1.25×: median 1.425×, although the ratio of the medians (15,500 / 11,000) is 1.41×.
  assert.deepEqual(
    f.search.pairs.map((pair) => pair.ratio),
    [1.6, 1.25],
  );
  assert.equal(f.search.xBaseline, (1.6 + 1.25) / 2);
  const target = f.targets.find((t) => t.name.startsWith('sustained rate'));
  assert.equal(target.met, false);
  assert.equal(target.shown, '15,500 against 11,000 entries/s; paired 1.60×, 1.25×: 1.43×');
  const markdown = renderMarkdown(r, f, {});
  assert.match(
    markdown,
    /pre-change build, searched in turn \(--sustained-baseline-dir\): 11,000 \(median of 2\) \| 1\.43×/,
  );
  assert.match(
    markdown,
    /\| 2 \| pre-change \| f73fcd7 \| 12:10 \| 5\.0 \| 10,000 pass, 12,000 \(full\) pass \| 12,000 \|/,
  );
  // A pre-change search that failed to run is shown with its error, and its round has no ratio.
  r.sustainedTurns[2] = {
    ...turn(2, 'pre-change', Number.NaN, '2026-12-03T12:10:00.000Z'),
    steps: [],
    error: 'exit 1',
  };
  const withError = deriveFigures(r);
  assert.equal(withError.targets.find((t) => t.name.startsWith('sustained rate')).met, false);
  assert.match(
    renderMarkdown(r, withError, {}),
    /\| 2 \| pre-change \| f73fcd7 \| 12:10 \| 5\.0 \| failed: exit 1 \| none \|/,
  );
  assert.match(
    renderMarkdown(r, withError, {}),
    /Paired ratios [^\n]*: 1\.60×, — \(— counted as 0\); median 0\.80×\./,
  );
  // The pre-change figure is the median of the rounds that have one.
  assert.match(
    renderMarkdown(r, withError, {}),
    /searched in turn \(--sustained-baseline-dir\): 10,000 \(median of 1\)/,
  );
  // A round whose search passed no full-length step has no ratio; it counts as 0 in the median.
  const failed = searchTurns([turn(1, 'pre-change', 10000, 'x'), turn(1, 'this', Number.NaN, 'y')]);
  assert.ok(Number.isNaN(failed.pairs[0].ratio));
  assert.equal(failed.pairedMedian, 0);
  // Whichever build lacks the figure: one missing pair of three cannot lift the median, only lower it.
  const rounds = (first) => [
    turn(1, 'pre-change', first, 'a'),
    turn(1, 'this', 15000, 'b'),
    turn(2, 'pre-change', 10000, 'c'),
    turn(2, 'this', 16000, 'd'),
    turn(3, 'pre-change', 10000, 'e'),
    turn(3, 'this', 16000, 'f'),
  ];
  assert.equal(searchTurns(rounds(Number.NaN)).pairedMedian, 1.6);
  assert.equal(searchTurns(rounds(5000)).pairedMedian, 1.6);
  const mixed = searchTurns([
    ...rounds(Number.NaN).slice(0, 4),
    turn(3, 'pre-change', 12000, 'e'),
    turn(3, 'this', 15000, 'f'),
  ]);
  // Paired —, 1.6, 1.25: with the missing one at 0 the median is 1.25 (1.25 to 1.6 had it been known).
  assert.equal(mixed.pairedMedian, 1.25);
});

test("the reference's single-entry runs in turn with Logpipe's: the target is the median of the paired ratios", () => {
  const r = results();
  // Logpipe 9,000 / 8,500 / 9,500 req/s; the reference right after each: 3,000 / 4,250 / 3,800.
  r.reference.singleEntry = { runs: [wrkRun(3000), wrkRun(4250), wrkRun(3800)], inTurn: true };
  const f = deriveFigures(r);
  assert.deepEqual(
    [f.single.xReferencePaired.min, f.single.xReference, f.single.xReferencePaired.max],
    [2, 2.5, 3],
  );
  assert.equal(f.single.xReferenceOfMedians, 9000 / 3800);
  const target = f.targets.find((t) => t.name.startsWith('single-entry ingest ≥ 2.5×'));
  assert.match(target.name, /runs in turn \(median of the paired ratios\)/);
  assert.equal(target.met, true);
  assert.match(
    renderMarkdown(r, f, {}),
    /\| 3,800 \(3,000–4,250\), runs in turn \| 2\.50× \(paired 2\.00×–3\.00×; ratio of the medians 2\.37×\) \|/,
  );
  // Reference runs not in turn (the old order, or a count that does not match) keep the ratio of medians.
  r.reference.singleEntry.inTurn = false;
  assert.equal(deriveFigures(r).single.xReferencePaired, undefined);
});

test('the \\copy runs in turn with the drain: the drain targets take the median of the paired ratios', () => {
  const r = results();
  // Drain 85,000 / 80,000 / 90,000 rows/s; \copy right after each: 100,000 / 80,000 / 90,000.
  r.ceilings.pgCopy = {
    runs: [100000, 80000, 90000].map((rowsPerS) => ({ rowsPerS, rows: 200000 })),
    inTurn: true,
  };
  const f = deriveFigures(r);
  assert.deepEqual([f.drain.ofCopyPaired.min, f.drain.ofCopy, f.drain.ofCopyPaired.max], [0.85, 1, 1]);
  assert.equal(f.drain.ofCopyOfMedians, 85000 / 90000);
  // From the first row stored (each run 200,000 rows in 2 s): 100,000 against each \copy run.
  assert.equal(f.drain.steadyOfCopy, 100000 / 90000);
  const target = f.targets.find((t) => t.name.startsWith('worker drain ≥ 90%'));
  assert.match(target.name, /runs in turn \(median of the paired ratios\) \(issue 14\)/);
  assert.equal(target.met, true);
  assert.match(
    renderMarkdown(r, f, {}),
    /\| psql `\\copy` of the same rows: 90,000 \(80,000–100,000\), runs in turn \| 100% \(paired 85%–100%; ratio of the medians 94%\) \|/,
  );
  // \copy runs not in turn keep the ratio of the medians.
  r.ceilings.pgCopy.inTurn = false;
  assert.equal(deriveFigures(r).drain.ofCopyPaired, undefined);
});
