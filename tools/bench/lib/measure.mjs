// One measured load run against the stack: an empty table, the load with CPU/RSS meters around it, then
// the drain and the bench's own correctness check (rows stored == entries accepted == 2xx entries,
// give or take the requests wrk left in flight).
import { cpuMeter, memoryMeter, memoryOf } from './proc-stats.mjs';
import { progress, say } from './progress.mjs';
import { startSampler } from './sampler.mjs';

export const APP_PROCESSES = ['ingest-1', 'ingest-2', 'worker'];

/**
 * TRUNCATE + CHECKPOINT (as the reference harness does) so every run starts on the same table; with
 * `logs`, the event ids claimed with its rows (log_event_ids) and the rollup counting them (log_counts,
 * which the row counter reads) go too.
 */
export async function resetTable(probe, table = 'logs') {
  await probe.db.query(table === 'logs' ? 'TRUNCATE logs, log_event_ids, log_counts' : `TRUNCATE ${table}`);
  await probe.db.query('CHECKPOINT');
}

export function pick(object, keys) {
  return Object.fromEntries(keys.map((key) => [key, object[key]]));
}

/**
 * Meters CPU over the steady part of a timed load: from `skipS` after it starts to `skipS` before it
 * ends, so ramp-up and the load generator's exit (its CPU would vanish with it) stay outside. With a
 * probe it also counts the entries Redis accepted in that window: the server-side steady rate, free of
 * wrk's blind spot for requests still in flight at its end.
 */
export function steadyWindow(roots, durationS, { probe, skipS = 0.3 } = {}) {
  const meter = cpuMeter(roots);
  let cpu = null;
  let first;
  let last;
  const mark = () =>
    probe ? probe.entriesAdded().then((added) => ({ added, at: performance.now() })) : null;
  const startTimer = setTimeout(() => {
    meter.start();
    first = mark();
  }, skipS * 1000);
  const stopTimer = setTimeout(
    () => {
      cpu = meter.stop();
      last = mark();
    },
    Math.max(skipS * 2, durationS - skipS) * 1000,
  );
  return {
    result: () => {
      clearTimeout(startTimer);
      clearTimeout(stopTimer);
      return cpu;
    },
    /** Entries accepted per second inside the window; NaN without a probe or a complete window. */
    async steadyEntriesPerS() {
      if (!first || !last) return Number.NaN;
      const [a, b] = await Promise.all([first, last]);
      return ((b.added - a.added) * 1000) / (b.at - a.at);
    },
  };
}

/**
 * Verifies exactly-once delivery for one run. `accepted` is what Redis took (entries-added), `rows` what
 * the table holds after the drain, `okEntries` what the client saw answered 2xx. wrk does not count the
 * requests still in flight when its time is up, so rows may exceed okEntries by up to one request per
 * connection; never the other way round, and rows must equal accepted exactly.
 */
export function deliveryCheck({ accepted, rows, okEntries, maxInFlightEntries }) {
  const extraRows = rows - okEntries;
  const problems = [];
  if (rows !== accepted) problems.push(`${rows} rows for ${accepted} accepted entries`);
  if (extraRows < 0) problems.push(`${-extraRows} entries answered 2xx are missing`);
  if (extraRows > maxInFlightEntries)
    problems.push(`${extraRows} more rows than 2xx entries (at most ${maxInFlightEntries} were in flight)`);
  return { ok: problems.length === 0, extraRows, problems };
}

/**
 * Runs `load(onLoadgenPid)` (resolving with { ok, durationS, ... } from the load generator) on an empty
 * table with the worker running, then waits for the drain and checks the counts.
 */
export async function measuredLoad(
  ctx,
  { phase, durationS, entriesPerRequest, connections, load, trackMemory },
) {
  const { probe, stack, opts } = ctx;
  await resetTable(probe);
  const added0 = await probe.entriesAdded();
  const sampler = startSampler(probe, { onSample: (point) => progress(phase, point) });
  await sampler.ready;
  const loadgen = [];
  const cpu = steadyWindow(() => ({ ...stack.pids(), loadgen, bench: process.pid }), durationS, { probe });
  const memory = trackMemory ? memoryMeter(() => pick(stack.pids(), APP_PROCESSES)) : null;
  memory?.start();
  // When the load ran: figures.mjs compares runs made at the same moment (pairedOfApi, pairedOfFloor).
  const loadStartMs = Date.now();
  const result = await load((pid) => loadgen.push(pid));
  const loadEndMs = Date.now();
  // The backlog grows while the load runs and shrinks after it: the peak up to here is the one "flat
  // while the backlog grows" is about.
  const loadPeakRss = memory?.peakSoFar() ?? null;
  const loadEndRss = Object.fromEntries(
    APP_PROCESSES.map((name) => [name, (memoryOf(stack.pid(name))?.rssKiB ?? Number.NaN) / 1024]),
  );
  const series = await sampler.stop();
  const backlogAtEnd = await probe.backlog();
  const drain = await probe.waitDrained({
    timeoutMs: opts.drainTimeoutS * 1000,
    onTick: ({ backlog }) => progress(phase, { backlog, note: 'draining' }),
  });
  const accepted = (await probe.entriesAdded()) - added0;
  const okEntries = result.ok * entriesPerRequest;
  const check = deliveryCheck({
    accepted,
    rows: drain.rows,
    okEntries,
    maxInFlightEntries: connections * entriesPerRequest,
  });
  if (drain.timedOut) check.problems.push(`backlog not drained within ${opts.drainTimeoutS} s`);
  check.ok &&= !drain.timedOut;
  const run = {
    ...result,
    loadStartMs,
    loadEndMs,
    entriesPerS: okEntries / result.durationS,
    okEntries,
    accepted,
    rows: drain.rows,
    backlogAtEnd,
    backlogPeak: Math.max(backlogAtEnd, ...series.map((point) => point.backlog ?? 0)),
    drainS: drain.seconds,
    steadyEntriesPerS: await cpu.steadyEntriesPerS(),
    cpu: cpu.result(),
    memory: memory?.stop() ?? null,
    loadEndRss,
    loadPeakRss,
    check,
  };
  say(
    `  ${phase}: ${Math.round(run.rps)} req/s, ${Math.round(run.entriesPerS)} entries/s, p50 ${run.p50Ms.toFixed(1)} ms, ` +
      `p99 ${run.p99Ms.toFixed(1)} ms, non-2xx ${run.non2xx}, rows ${run.rows} (extra ${check.extraRows}), ` +
      `drained in ${run.drainS.toFixed(1)} s${check.ok ? '' : `  CHECK FAILED: ${check.problems.join('; ')}`}`,
  );
  return run;
}
