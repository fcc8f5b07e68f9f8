// Scenario 4: sustained end to end at a fixed offered rate (half the maximum sustained rate measured
// earlier in the run, unless --rate says otherwise), batches of --fresh-batch entries per request.
// Freshness = time from an entry's 202 to its row being visible; the backlog and the rates are sampled
// every second for the table and the chart.
import { APP_PROCESSES, pick, resetTable } from '../lib/measure.mjs';
import { headersFor, makeEntries } from '../lib/payload.mjs';
import { sendPaced } from '../lib/paced-sender.mjs';
import { cpuMeter, memoryMeter } from '../lib/proc-stats.mjs';
import { progress, say } from '../lib/progress.mjs';
import { startSampler } from '../lib/sampler.mjs';
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

export async function sustainedScenario(ctx, { ratePerS }) {
  const { opts, stack, probe } = ctx;
  const batchSize = opts.freshBatch;
  const phase = `4 sustained ${Math.round(ratePerS)} entries/s`;
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
    durationS: opts.sustainedSeconds,
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
  const problems = [];
  if (drain.rows !== accepted) problems.push(`${drain.rows} rows for ${accepted} accepted entries`);
  if (drain.rows !== okEntries) problems.push(`${drain.rows} rows for ${okEntries} entries answered 202`);
  if (visibility.unseen > 0) problems.push(`${visibility.unseen} sampled entries never became visible`);
  const result = {
    offeredPerS: ratePerS,
    batchSize,
    durationS: opts.sustainedSeconds,
    requestsSent: tally.sent,
    skipped: tally.skipped,
    statuses: tally.statuses,
    socketErrors: tally.errors,
    okEntries,
    acceptedPerS: okEntries / opts.sustainedSeconds,
    accepted,
    rows: drain.rows,
    samples: values.length,
    freshnessP50: percentile(values, 50),
    freshnessP99: percentile(values, 99),
    freshnessMax: Math.max(...values),
    backlogMax: Math.max(0, ...samples.map((point) => point.backlog ?? 0)),
    backlogAtEnd: samples.at(-1)?.backlog ?? Number.NaN,
    series: perSecondSeries({
      sentAt: tally.sentAt,
      answers,
      freshness,
      samples,
      batchSize,
      seconds: opts.sustainedSeconds,
    }),
    cpu: cpuResult,
    memory: memory.stop(),
    check: { ok: problems.length === 0, extraRows: drain.rows - okEntries, problems },
  };
  say(
    `  ${phase}: ${Math.round(result.acceptedPerS)} entries/s accepted, freshness p50 ${result.freshnessP50.toFixed(0)} ms, ` +
      `p99 ${result.freshnessP99.toFixed(0)} ms (${values.length} samples), backlog max ${result.backlogMax}` +
      `${result.check.ok ? '' : `  CHECK FAILED: ${problems.join('; ')}`}`,
  );
  return result;
}
