// The run as Markdown: a heading with date, machine and load, the summary table (every figure with its
// ceiling and reference ratios), the targets, CPU by stage with the likely bottleneck, details, the chart.
import { bottleneck, CPU_GROUPS, CPU_PER_ENTRY_STAGES } from './figures.mjs';
import { DASH, fixed, int, medianRange, percent, times } from './format.mjs';
import { ALL_SCENARIOS } from './options.mjs';

const row = (cells) => `| ${cells.join(' | ')} |`;
const signed = (value, digits) => `${value >= 0 ? '+' : ''}${fixed(value, digits)}`;
const latency = (p50, p99) =>
  `${medianRange(p50, (v) => fixed(v, 1))} / ${medianRange(p99, (v) => fixed(v, 1))}`;

/** ", only protocols" for a run limited with --only, so its section is not taken for a full one. */
function partial(options) {
  const only = options.only ?? ALL_SCENARIOS;
  return ALL_SCENARIOS.every((part) => only.includes(part)) ? '' : `, only ${only.join(', ')} (\`--only\`)`;
}

function heading(results) {
  const m = results.machine;
  const o = results.options;
  const env = Object.entries(results.stackEnv)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [
    `### ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC — ${results.mode} run${partial(o)}`,
    '',
    `- Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Linux ${m.kernel}; Node ${m.node}, nginx ${m.nginx}, Redis ${m.redis}, PostgreSQL ${m.postgres}, wrk ${m.wrk}; commit ${m.commit}.`,
    `- Load average (1/5/15 min) before: ${results.loadBefore.join(' ')}; after: ${results.loadAfter.join(' ')}. ` +
      'Shared machine: the "other" column below is CPU used by processes outside the benchmark during the run.',
    `- Stack under test: \`tools/stack\` in \`${o.stateDir}\`, port base ${o.portBase}, with ${env || 'no overrides'}. ` +
      "nginx's per-IP rate limit is raised and ingest's per-tenant quota is off, because one client and one tenant send everything (the reference's nginx had the same rate limit setting); the backlog's high water is raised so that a run measures what the stack takes, not where ingest starts answering 503.",
    `- Each figure: median of ${o.runs} run(s), min–max in brackets. wrk -t2: ${o.loadSeconds} s per single-entry run ` +
      `(${o.singleConnections} connections), ${o.batchSeconds} s per batch run (${o.batchConnections} connections); drain of ` +
      `${int(o.drainEntries)} entries; sustained ${o.sustainedSeconds} s` +
      (results.protocols
        ? `; the protocols scenario: ${results.protocols.rounds ?? o.runs} rounds, ${results.protocols.durationS ?? o.batchSeconds} s per run`
        : '') +
      `. The whole bench took ${fixed(results.wallSeconds / 60, 1)} min.`,
    '',
  ];
}

function summaryTable(results, f) {
  const lines = [
    row(['#', 'figure', 'Logpipe', 'ceiling, same run', '÷ ceiling', 'reference', 'Logpipe ÷ reference']),
    row(['---', '---', '---:', '---', '---:', '---:', '---:']),
  ];
  const ref = f.reference;
  if (f.single) {
    lines.push(
      row([
        '1',
        `single entry \`POST /api/log\`, ${results.single.connections} connections: req/s`,
        medianRange(f.single.rps),
        f.nginx204 ? `nginx \`return 204\`: ${medianRange(f.nginx204.rps)}` : DASH,
        percent(f.single.ofCeiling),
        ref ? `${medianRange(ref.rps)}${f.single.xReferencePaired ? ', runs in turn' : ''}` : DASH,
        f.single.xReferencePaired
          ? `${times(f.single.xReference, 2)} (paired ${times(f.single.xReferencePaired.min, 2)}–${times(f.single.xReferencePaired.max, 2)}; ratio of the medians ${times(f.single.xReferenceOfMedians, 2)})`
          : times(f.single.xReference),
      ]),
      row([
        '1',
        'latency p50 / p99, ms',
        latency(f.single.p50, f.single.p99),
        f.nginx204 ? latency(f.nginx204.p50, f.nginx204.p99) : DASH,
        '',
        ref ? latency(ref.p50, ref.p99) : DASH,
        '',
      ]),
      row([
        '1',
        'non-2xx / socket errors (all runs)',
        `${f.single.non2xx} / ${f.single.socketErrors}`,
        '',
        '',
        ref ? String(ref.non2xx) : DASH,
        '',
      ]),
    );
  }
  for (const [name, b] of Object.entries(f.batch ?? {})) {
    const label = b.format === 'json' ? 'JSON array' : 'gzip NDJSON';
    lines.push(
      row([
        '2',
        `\`POST /api/logs\`, ${label}, ${int(b.entriesPerRequest)} entries/request: entries/s`,
        medianRange(b.entriesPerS),
        f.redis
          ? `Redis XADD, ${f.redis.valueBytes}-byte stored value, -P ${f.redis.pipeline}: ${medianRange(f.redis.opsPerS)}/s`
          : DASH,
        percent(b.ofCeiling),
        DASH,
        DASH,
      ]),
    );
  }
  if (f.floor) {
    const fl = f.floor;
    lines.push(
      row([
        'floor',
        `Logpipe as a fraction of the floor: single entry, ${results.ceilings.nodeHttpFloor.single.connections} connections: req/s${fl.logpipeSingle ? " (Logpipe's runs taking turns with the floor's; each floor run against Logpipe at its time)" : ''}`,
        fl.logpipeSingle ? medianRange(fl.logpipeSingle.rps) : f.single ? medianRange(f.single.rps) : DASH,
        `bare \`node:http\` in ingest's place: ${medianRange(fl.single.rps)}`,
        fl.singlePaired
          ? `${percent(fl.singleOfFloor)} (${percent(fl.singlePaired.min)}–${percent(fl.singlePaired.max)}; ratio of the medians ${percent(fl.singleOfFloorOfMedians)})`
          : percent(fl.singleOfFloor),
        DASH,
        DASH,
      ]),
      row([
        'floor',
        `Logpipe as a fraction of the floor: \`POST /api/logs\` ${fl.batch.variant}: entries/s`,
        f.batch?.[fl.batch.variant] ? medianRange(f.batch[fl.batch.variant].entriesPerS) : DASH,
        `bare \`node:http\` in ingest's place: ${medianRange(fl.batch.entriesPerS)}`,
        percent(fl.batchOfFloor),
        DASH,
        DASH,
      ]),
    );
  }
  if (f.syslog) {
    lines.push(
      row([
        '2',
        `syslog over TCP (octet-counted RFC 5424) through nginx's stream proxy, ${f.syslog.connections} connections: entries/s`,
        medianRange(f.syslog.entriesPerS),
        f.batch?.['json-1000']
          ? `\`POST /api/logs\` JSON, 1,000 entries/request: ${medianRange(f.batch['json-1000'].entriesPerS)}`
          : DASH,
        percent(f.syslog.ofJson1000),
        DASH,
        DASH,
      ]),
    );
  }
  if (f.drain) {
    lines.push(
      row([
        '3',
        `worker drain, ${int(f.drain.entries)} pre-filled entries, worker started cold: rows/s`,
        medianRange(f.drain.rowsPerS),
        f.copy
          ? `psql \`\\copy\` of the same rows: ${medianRange(f.copy.rowsPerS)}${f.drain.ofCopyPaired ? ', runs in turn' : ''}`
          : DASH,
        f.drain.ofCopyPaired
          ? `${percent(f.drain.ofCopy)} (paired ${percent(f.drain.ofCopyPaired.min)}–${percent(f.drain.ofCopyPaired.max)}; ratio of the medians ${percent(f.drain.ofCopyOfMedians)})`
          : percent(f.drain.ofCopy),
        ref ? medianRange(ref.drainRowsPerS) : DASH,
        times(f.drain.xReference),
      ]),
    );
  }
  if (f.sustained) {
    const s = f.sustained;
    lines.push(
      row([
        '4',
        `sustained ${s.durationS} s at ${int(s.offeredPerS)} entries/s offered (${s.rateNote}), batches of ${s.batchSize}: freshness (202 → row visible) p50 / p99, ms`,
        `${fixed(s.freshnessP50, 0)} / ${fixed(s.freshnessP99, 0)} (max ${fixed(s.freshnessMax, 0)}, ${int(s.samples)} samples)`,
        '',
        '',
        DASH,
        '',
      ]),
      row([
        '4',
        'entries/s answered 202; backlog max / at the end of the run',
        `${int(s.acceptedPerS)}; ${int(s.backlogMax)} / ${int(s.backlogAtEnd)}`,
        '',
        '',
        DASH,
        '',
      ]),
    );
  }
  if (f.search) {
    const s = f.search;
    lines.push(
      row([
        '4',
        `highest offered rate with freshness p99 < 1 s for ${s.fullSeconds} s (search, steps below), batches of ${results.options.freshBatch ?? 100}: entries/s`,
        Number.isFinite(s.ratePerS) ? int(s.ratePerS) : 'no full-length step passed',
        s.turns
          ? `pre-change build, searched in turn (--sustained-baseline-dir): ${int(s.baseline)} (median of ${s.pairs.filter((pair) => Number.isFinite(pair.baseline)).length})`
          : s.baseline
            ? `pre-change baseline (--sustained-baseline): ${int(s.baseline)}`
            : DASH,
        // Two decimals: the target is 1.5×, and 1.46× must not print as 1.5×.
        times(s.xBaseline, 2),
        DASH,
        '',
      ]),
    );
  }
  if (f.memory) {
    const { peakMiB, worstRise } = f.memory;
    lines.push(
      row([
        '5',
        'peak RSS during 2 and 3, MiB: ingest-1 / ingest-2 / worker',
        ['ingest-1', 'ingest-2', 'worker'].map((n) => fixed(peakMiB[n], 0)).join(' / '),
        '',
        '',
        DASH,
        '',
      ]),
      row([
        '5',
        'largest RSS rise within a batch run while the backlog grew (start → peak during the load), MiB and % of the start: ingest-1 / ingest-2 / worker',
        ['ingest-1', 'ingest-2', 'worker']
          .map((n) =>
            worstRise[n]
              ? `${signed(worstRise[n].rise, 0)} = ${signed(100 * worstRise[n].share, 0)}% (from ${fixed(worstRise[n].start, 0)}, backlog ${int(worstRise[n].backlog)})`
              : DASH,
          )
          .join(' / '),
        '',
        '',
        DASH,
        '',
      ]),
    );
  }
  return lines;
}

function targetsTable(f) {
  const show = (t) => {
    if (t.shown !== undefined) return t.shown;
    if (t.value === null || t.value === undefined) return '';
    if (t.name.includes('µs')) return `${fixed(t.value, 1)} µs`;
    if (t.name.includes('×')) return times(t.value);
    if (t.name.includes('%')) return percent(t.value);
    if (t.name.includes('MiB')) return `${fixed(t.value, 0)} MiB`;
    if (t.name.includes(' ms')) return `${fixed(t.value, 0)} ms`;
    return int(t.value);
  };
  return [
    row(['target', 'measured', 'met']),
    row(['---', '---:', '---']),
    ...f.targets.map((t) =>
      row([t.name, show(t), t.met === null ? 'not measured' : t.met ? 'yes' : '**no**']),
    ),
  ];
}

function cpuTable(results, f) {
  // The reference's two apps (app-8001/8002) are shown in the ingest columns of their own row.
  const columns = CPU_GROUPS.filter((group) => !group.startsWith('app-'));
  const lines = [
    row(['scenario', ...columns.map((c) => (c === 'loadgen' ? 'wrk' : c)), 'machine idle', 'what saturates']),
    row(['---', ...columns.map(() => '---:'), '---:', '---']),
  ];
  const add = (label, cpu) => {
    if (!cpu) return;
    const cells = columns.map((c) => fixed(cpu[c], 0));
    lines.push(row([label, ...cells, `${fixed(cpu.machineIdle, 0)}%`, bottleneck(cpu)]));
  };
  add('1 single entry', f.single?.cpu);
  for (const [name, b] of Object.entries(f.batch ?? {})) add(`2 batch ${name}`, b.cpu);
  for (const [name, p] of Object.entries(f.protocols ?? {})) add(`5 protocols ${name}`, p.cpu);
  add('3 worker drain', f.drain?.cpu);
  add('4 sustained', f.sustained?.cpu);
  add('ceiling: nginx 204', f.nginx204?.cpu);
  // The floor's node:http processes are in the ingest columns.
  add('floor: node:http single entry', f.floor?.single.cpu);
  add(`floor: node:http ${f.floor?.batch.variant}`, f.floor?.batch.cpu);
  if (f.reference?.cpu) {
    const c = f.reference.cpu;
    const { 'app-8001': app1, 'app-8002': app2, ...rest } = c;
    add('reference 1 (uvicorn apps in the ingest columns)', { ...rest, 'ingest-1': app1, 'ingest-2': app2 });
  }
  return lines;
}

function cpuPerEntryTable(results, f) {
  const stages = Object.keys(CPU_PER_ENTRY_STAGES);
  const lines = [
    row([
      'scenario',
      ...stages.map((stage) => (stage === 'ingest' ? 'ingest-1 + ingest-2' : stage)),
      'stack total',
      'entries/s in the window',
    ]),
    row(['---', ...stages.map(() => '---:'), '---:', '---:']),
  ];
  const add = (label, perEntry) => {
    if (!perEntry) return;
    lines.push(
      row([
        label,
        ...stages.map((stage) => fixed(perEntry[stage], 1)),
        fixed(perEntry.stack, 1),
        int(perEntry.entriesPerS),
      ]),
    );
  };
  for (const [name, b] of Object.entries(f.batch ?? {})) add(`2 batch ${name}`, b.cpuPerEntry);
  for (const [name, p] of Object.entries(f.protocols ?? {})) add(`5 protocols ${name}`, p.cpuPerEntry);
  if (f.floor)
    add(
      `floor: node:http ${f.floor.batch.variant} (node:http in the ingest column)`,
      f.floor.batch.cpuPerEntry,
    );
  add('3 worker drain (per row stored, start-up included)', f.drain?.cpuPerEntry);
  return lines.length > 2 ? lines : [];
}

/** The two builds' searches in turn (--sustained-baseline-dir), in the order they ran. */
function searchTurnsTable(f) {
  const s = f.search;
  if (!s?.turns) return [];
  const stepsOf = (turn) =>
    turn.steps
      .map(
        (step) =>
          `${int(step.offeredPerS)}${step.durationS >= s.fullSeconds ? ' (full)' : ''} ${step.pass ? 'pass' : 'fail'}`,
      )
      .join(', ');
  return [
    `The two builds searched in turn, each with its own stack (the pre-change build's from its own checkout, with its bench's two measuring fixes; tools/bench/baseline), the same search settings and the machine as it was at that moment; the table above shows this build's first search. Paired ratios (this build ÷ the pre-change build of the same round): ${s.pairs.map((pair) => times(pair.ratio, 2)).join(', ')}${s.missingRatios > 0 ? ' (— counted as 0)' : ''}; median ${times(s.pairedMedian, 2)}.`,
    '',
    row([
      'round',
      'build',
      'commit',
      'started (UTC)',
      'min',
      'steps: offered entries/s, verdict',
      'highest rate passing a full-length step',
    ]),
    row(['---:', '---', '---', '---', '---:', '---', '---:']),
    ...s.turns.map((turn) =>
      row([
        String(turn.round),
        turn.build,
        turn.commit ?? DASH,
        turn.startedAt.slice(11, 16),
        fixed(turn.seconds / 60, 1),
        turn.error ? `failed: ${turn.error}` : stepsOf(turn),
        Number.isFinite(turn.ratePerS) ? int(turn.ratePerS) : 'none',
      ]),
    ),
    '',
  ];
}

function searchSteps(f) {
  const s = f.search;
  if (!s) return [];
  const ms = (value) => fixed(value, 0);
  return [
    `Scenario 4's rate search: first step at ${int(s.startRate)} entries/s (${s.startNote}); probes of ${s.probeSeconds} s, ` +
      `then full-length steps of ${s.fullSeconds} s to confirm; a step passes when freshness p99 < 1 s (over the step and ` +
      `over its last quarter), ≥ 99% of the offered entries are answered 2xx, and the backlog, extrapolated to ${s.fullSeconds} s ` +
      `from its trend, stays under one second of intake. ${int(s.loadSeconds)} s of load in the search's own steps.`,
    '',
    row([
      'step',
      's',
      'offered entries/s',
      'answered 2xx entries/s',
      'stored rows/s (steady part)',
      'freshness p50 / p99 (last quarter), ms',
      'backlog max / at the end; trend',
      'verdict',
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---']),
    ...s.steps.map((step) =>
      row([
        step.kind,
        fixed(step.durationS, 0),
        int(step.offeredPerS),
        int(step.acceptedPerS),
        int(step.storedPerS),
        `${ms(step.freshnessP50)} / ${ms(step.freshnessP99)} (${ms(step.freshnessP99LastQuarter)})`,
        `${int(step.backlogMax)} / ${int(step.backlogAtEnd)}; ${Number.isFinite(step.backlogSlope) ? `${signed(step.backlogSlope, 0)}/s` : DASH}`,
        step.pass ? 'pass' : `fail: ${step.reasons.join('; ')}`,
      ]),
    ),
    '',
  ];
}

function details(results, f) {
  const lines = [];
  if (f.batch) {
    lines.push(
      row([
        'batch variant',
        'body bytes',
        'req/s',
        'entries/s (2xx)',
        'entries/s accepted by Redis, steady part',
        'p50 / p99, ms',
        'non-2xx',
        'backlog peak',
        's to drain after the run',
      ]),
      row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
      ...Object.entries(f.batch).map(([name, b]) =>
        row([
          name,
          int(b.bodyBytes),
          medianRange(b.rps),
          medianRange(b.entriesPerS),
          medianRange(b.steadyEntriesPerS),
          latency(b.p50, b.p99),
          String(b.non2xx),
          medianRange(b.backlogPeak),
          medianRange(b.drainS, (v) => fixed(v, 1)),
        ]),
      ),
      '',
    );
  }
  if (f.protocols) {
    lines.push(
      row([
        'protocol variant (1,000 entries a request)',
        'path',
        'body bytes',
        'req/s',
        'entries/s (2xx)',
        'of /api/logs json-1000: each run against /api/logs at its time, median (min–max)',
        'ratio of the medians',
        'p50 / p99, ms',
        'non-2xx',
      ]),
      row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
      ...Object.entries(f.protocols).map(([name, p]) =>
        row([
          name,
          `\`${p.path}\``,
          int(p.bodyBytes),
          medianRange(p.rps),
          medianRange(p.entriesPerS),
          p.pairedOfApi === undefined ? '—' : medianRange(p.pairedOfApi, percent),
          p.ofApiOfMedians === undefined ? '—' : percent(p.ofApiOfMedians),
          latency(p.p50, p.p99),
          String(p.non2xx),
        ]),
      ),
      '',
      'Each protocol run is compared with the /api/logs rate at its own time, interpolated between the /api/logs runs ' +
        "just before and after it (one runs in every round, one more after the last): the machine's speed drifts " +
        'within a bench run, and medians per variant would compare runs made at different speeds. The target uses ' +
        'the median of these paired ratios; the ratio of the medians is beside it.',
      '',
    );
  }
  if (f.drain) {
    lines.push(
      `Worker drain: ${medianRange(f.drain.seconds, (v) => fixed(v, 2))} s from the worker process's start until all ${int(f.drain.entries)} rows ` +
        `were stored; the first row after ${medianRange(f.drain.startupS, (v) => fixed(v, 2))} s (start-up); ` +
        `${medianRange(f.drain.steadyRowsPerS)} rows/s counted from the first row.`,
      '',
    );
  }
  const checks =
    f.maxExtraRows === null && f.checkFailures.length === 0
      ? ''
      : f.checkFailures.length === 0
        ? `Checks: in every run the rows stored equal the entries Redis accepted, and are at least the entries answered 2xx ` +
          `(rows − 2xx entries at most ${int(f.maxExtraRows)}: requests wrk left in flight when its time was up).`
        : `**Check failures:** ${f.checkFailures.join('; ')}`;
  if (checks) lines.push(checks, '');
  const skipped = results.reference?.skipped;
  if (skipped) lines.push(`Reference: ${skipped}.`, '');
  return lines;
}

/** The Markdown section for one run; `chartLink` is relative to BENCHMARKS.md. */
export function renderMarkdown(results, f, { chartLink } = {}) {
  return [
    ...heading(results),
    ...summaryTable(results, f),
    '',
    ...targetsTable(f),
    '',
    'CPU by stage while the load ran (median of the runs, % of one core; 2 cores = 200%):',
    '',
    ...cpuTable(results, f),
    '',
    ...(f.batch || f.protocols || f.drain
      ? [
          "CPU per entry (µs of one core per entry; median of the runs): each stage's CPU over the load's steady window ÷ the entries Redis accepted in that window (entries answered 2xx, counted server-side). The worker and PostgreSQL store behind a growing backlog in 2 and 5, so their figures there are per entry accepted, not per row stored; 3 gives theirs per row:",
          '',
          ...cpuPerEntryTable(results, f),
          '',
        ]
      : []),
    ...searchSteps(f),
    ...searchTurnsTable(f),
    ...details(results, f),
    ...(chartLink ? [`![Scenario 4: throughput, freshness and backlog over time](${chartLink})`, ''] : []),
  ].join('\n');
}
