// Scenario 4: sustained end to end at a fixed offered rate (half the maximum sustained rate measured
// earlier in the run, unless --rate says otherwise), batches of --fresh-batch entries per request.
// Freshness = time from an entry's 202 to its row being visible; the backlog and the rates are sampled
// every second for the table and the chart. The rate search (sustained-search.mjs) runs its steps with
// the same `sustainedRun`.
import { APP_PROCESSES, pick, resetTable } from '../lib/measure.mjs';
import { headersFor, makeEntries } from '../lib/payload.mjs';
import { sendPaced } from '../lib/paced-sender.mjs';
import { cpuMeter, memoryMeter } from '../lib/proc-stats.mjs';
import { progress, say } from '../lib/progress.mjs';
import { startSampler } from '../lib/sampler.mjs';
import { slope } from '../lib/rate-search.mjs';
import { percentile } from '../lib/stats.mjs';
import { visibilityPoller } from '../lib/visibility-poller.mjs';

/** Body builder: the batch's first entry gets the id `${prefix}${seq}`, so it can be looked up. */
export function idTaggedBatch(batchSize, prefix) {
  const [first, ...rest] = makeEntries(batchSize, 1000);
  const head = JSON.stringify(first).slice(0, -1);
  const tail = rest.length > 0 ? `,${rest.map((entry) => JSON.stringify(entry)).join(',')}` : '';
  return (seq) => Buffer.from(`[${head},"id":"${prefix}${seq}"}${tail}]`);
}

/** Per-second rows of the run: offered/accepted/stored entries, backlog, freshness p50/p99. */
export function perSecondSeries({ sentAt, answers, freshness, samples, batchSize, seconds }) {
  const buckets = Array.from({ length: Math.ceil(seconds) }, (_, second) => ({
    second,
    offered: 0,
    answered2xx: 0,
    freshnessMs: [],
  }));
  const bucket = (t) => buckets[Math.min(buckets.length - 1, Math.max(0, Math.floor(t)))];
  for (const t of sentAt) bucket(t).offered += batchSize;
  for (const t of answers) bucket(t).answered2xx += batchSize;
  for (const { t, freshnessMs } of freshness) bucket(t).freshnessMs.push(freshnessMs);
  let previousRows = 0;
  return buckets.map(({ second, offered, answered2xx, freshnessMs }) => {
    const sample = samples.find((point) => point.t >= second + 1 - 0.5 && point.t < second + 1.5);
    const rows = sample?.rows ?? previousRows;
    const stored = rows - previousRows;
    previousRows = rows;
    return {
      second,
      offered,
      accepted: answered2xx,
      stored,
      backlog: sample?.backlog ?? Number.NaN,
      freshnessP50: percentile(freshnessMs, 50),
      freshnessP99: percentile(freshnessMs, 99),
    };
  });
}

/**
 * How the backlog moved during a run, from the sampler's points: its least-squares slope (entries/s)
 * and the rows stored per second, both leaving out the first `settleS` seconds (the first requests,
 * the worker's first read), so a short probe step is judged on its steady part.
 */
export function backlogTrend(samples, { settleS }) {
  const steady = samples.filter((point) => point.t >= settleS && Number.isFinite(point.backlog));
  const first = steady[0];
  const last = steady.at(-1);
  const storedPerS =
    first && last && last.t > first.t ? (last.rows - first.rows) / (last.t - first.t) : Number.NaN;
  return { backlogSlope: slope(steady.map(({ t, backlog }) => ({ t, y: backlog }))), storedPerS };
}

/** Scenario 4 as the table shows it: one run of --sustained-seconds at `ratePerS`. */
export function sustainedScenario(ctx, { ratePerS }) {
  return sustainedRun(ctx, {
    ratePerS,
    durationS: ctx.opts.sustainedSeconds,
    phase: `4 sustained ${Math.round(ratePerS)} entries/s`,
  });
}

/**
 * One sustained run: an empty table, `durationS` seconds of open-loop load at `ratePerS` entries/s, then
 * the drain (so the next run starts on an empty pipeline) and the check rows = entries answered 202.
 */
export async function sustainedRun(ctx, { ratePerS, durationS, phase }) {
  const { opts, stack, probe } = ctx;
  const batchSize = opts.freshBatch;
  await resetTable(probe);
  const added0 = await probe.entriesAdded();
  const prefix = `bench-${Date.now().toString(36)}-`;
  const bodyFor = idTaggedBatch(batchSize, prefix);
  const poller = visibilityPoller(probe.db, { intervalMs: opts.freshPollMs });
  const answers = [];
  let t0;
  const sampler = startSampler(probe, {
    onSample: (point) => progress(phase, { ...point, note: `freshness samples ${answers.length}` }),
  });
  await sampler.ready;
  const cpu = cpuMeter(() => ({ ...stack.pids(), bench: process.pid }));
  const memory = memoryMeter(() => pick(stack.pids(), APP_PROCESSES));
  cpu.start();
  memory.start();
  poller.start();
  const tally = await sendPaced({
    url: `${stack.nginxUrl}/api/logs`,
    headers: headersFor('json'),
    ratePerS: ratePerS / batchSize,
    durationS,
    maxSockets: opts.freshConnections,
    bodyFor: (seq) => {
      t0 ??= performance.now();
      return bodyFor(seq);
    },
    onAnswer: ({ seq, status, at }) => {
      if (status !== 202) return;
      answers.push((at - t0) / 1000);
      poller.track(`${prefix}${seq}`, at);
    },
  });
  const cpuResult = cpu.stop();
  const samples = await sampler.stop();
  const visibility = await poller.finish(opts.drainTimeoutS * 1000);
  const drain = await probe.waitDrained({ timeoutMs: opts.drainTimeoutS * 1000 });
  const accepted = (await probe.entriesAdded()) - added0;
  const okEntries = (tally.statuses[202] ?? 0) * batchSize;
  const freshness = visibility.seen.map(({ answeredAt, freshnessMs }) => ({
    t: (answeredAt - t0) / 1000,
    freshnessMs,
  }));
  const values = freshness.map(({ freshnessMs }) => freshnessMs);
  const lastQuarter = freshness
    .filter(({ t }) => t >= 0.75 * durationS)
    .map(({ freshnessMs }) => freshnessMs);
  const problems = [];
  if (drain.rows !== accepted) problems.push(`${drain.rows} rows for ${accepted} accepted entries`);
  if (drain.rows !== okEntries) problems.push(`${drain.rows} rows for ${okEntries} entries answered 202`);
  if (visibility.unseen > 0) problems.push(`${visibility.unseen} sampled entries never became visible`);
  const result = {
    offeredPerS: ratePerS,
    batchSize,
    durationS,
    requestsSent: tally.sent,
    skipped: tally.skipped,
    statuses: tally.statuses,
    socketErrors: tally.errors,
    okEntries,
    acceptedPerS: okEntries / durationS,
    accepted,
    rows: drain.rows,
    samples: values.length,
    freshnessP50: percentile(values, 50),
    freshnessP99: percentile(values, 99),
    freshnessP99LastQuarter: percentile(lastQuarter, 99),
    freshnessMax: Math.max(...values),
    unseen: visibility.unseen,
    backlogMax: Math.max(0, ...samples.map((point) => point.backlog ?? 0)),
    backlogAtEnd: samples.at(-1)?.backlog ?? Number.NaN,
    ...backlogTrend(samples, { settleS: Math.min(2, durationS / 4) }),
    series: perSecondSeries({
      sentAt: tally.sentAt,
      answers,
      freshness,
      samples,
      batchSize,
      seconds: durationS,
    }),
    cpu: cpuResult,
    memory: memory.stop(),
    check: { ok: problems.length === 0, extraRows: drain.rows - okEntries, problems },
  };
  say(
    `  ${phase}: ${Math.round(result.acceptedPerS)} entries/s accepted, freshness p50 ${result.freshnessP50.toFixed(0)} ms, ` +
      `p99 ${result.freshnessP99.toFixed(0)} ms (${values.length} samples), backlog max ${result.backlogMax}, ` +
      `trend ${Number.isFinite(result.backlogSlope) ? Math.round(result.backlogSlope) : '-'}/s, stored ${Math.round(result.storedPerS)}/s` +
      `${result.check.ok ? '' : `  CHECK FAILED: ${problems.join('; ')}`}`,
  );
  return result;
}
