// Scenario 3: worker drain. With the worker stopped, a backlog of N entries is pre-filled through the
// real API (nginx → ingest → Redis, so the stream holds exactly what ingest writes), the table is
// emptied, and the worker is started cold; the clock runs from the worker process's start to the moment
// the backlog is 0 (every entry stored and acknowledged), then count(*) must equal N.
import { join } from 'node:path';
import { postMany } from '../lib/http-client.mjs';
import { APP_PROCESSES, pick, resetTable } from '../lib/measure.mjs';
import { headersFor } from '../lib/payload.mjs';
import { cpuMeter, memoryMeter, processStartEpochMs } from '../lib/proc-stats.mjs';
import { progress, say } from '../lib/progress.mjs';
import { psql, sqlLiteral } from '../lib/psql.mjs';
import { pollUntil } from '../lib/sleep.mjs';
import { repoRoot, tsRequire } from '../lib/ts-sources.mjs';

export const COPY_COLUMNS =
  'ts, received_at, level, service, message, attributes, trace_id, span_id, event_id, stream_id';

async function prefill(ctx, phase, entries) {
  const { stack, bodies, probe } = ctx;
  const body = bodies['json-1000'];
  const added0 = await probe.entriesAdded();
  const requests = Math.ceil(entries / body.entries);
  progress(phase, { note: `pre-filling ${entries} entries through nginx` });
  const fill = await postMany({
    url: `${stack.nginxUrl}/api/logs`,
    headers: headersFor(body.format),
    count: requests,
    concurrency: 4,
    bodyFor: () => body.body,
  });
  const accepted = (await probe.entriesAdded()) - added0;
  if (fill.ok !== requests || accepted !== requests * body.entries) {
    throw new Error(
      `pre-fill: ${fill.ok}/${requests} requests accepted (${JSON.stringify(fill.failures)}), stream took ${accepted}`,
    );
  }
  return accepted;
}

/**
 * The newest stream entry's payload as text (`field` 'data'), for the Redis ceiling to XADD, read as the
 * worker reads it: as Buffers, a compressed value (stream-client's SNAPPY_PAYLOAD_FIELD) uncompressed by
 * stream-client's own parser.
 */
async function sampleStreamEntry(probe) {
  const [newest] = await probe.redis.xrevrangeBuffer('logs:stream', '+', '-', 'COUNT', 1);
  const parser = tsRequire()(join(repoRoot, 'libs/stream-client/src/lib/stream-reply.parser.ts'));
  const { payload } = parser.parseStreamEntry(newest);
  if (payload === null) throw new Error('the newest stream entry holds no readable payload');
  return { field: 'data', value: payload };
}

async function waitForNewWorker(stack, oldPid, timeoutMs) {
  const { value } = await pollUntil(
    () => {
      const pid = stack.pid('worker');
      return pid !== null && pid !== oldPid ? pid : null;
    },
    { intervalMs: 10, timeoutMs },
  );
  if (!value) throw new Error('the worker did not start');
  return value;
}

async function drainRun(ctx, phase, entries) {
  const { stack, probe, opts } = ctx;
  await stack.stopWorker();
  await resetTable(probe);
  const memory = memoryMeter(() => pick(stack.pids(), APP_PROCESSES));
  memory.start();
  const accepted = await prefill(ctx, phase, entries);
  const backlogBefore = await probe.backlog();
  const streamEntry = ctx.streamEntry ?? (await sampleStreamEntry(probe));

  progress(phase, { backlog: backlogBefore, note: 'starting the worker' });
  const starting = stack.startWorker();
  const pid = await waitForNewWorker(stack, null, 60000);
  const cpu = cpuMeter(() => ({
    ...pick(stack.pids(), ['worker', 'redis', 'postgres']),
    bench: process.pid,
  }));
  cpu.start();
  const spawnedAt = processStartEpochMs(pid);
  const first = await pollUntil(
    async () => (await probe.db.query('SELECT EXISTS (SELECT 1 FROM logs) AS e')).rows[0].e && Date.now(),
    { intervalMs: 20, timeoutMs: 60000 },
  );
  const done = await pollUntil(
    async () => {
      const backlog = await probe.backlog();
      progress(phase, { backlog, t: (Date.now() - spawnedAt) / 1000 });
      return backlog === 0 && Date.now();
    },
    { intervalMs: 50, timeoutMs: opts.drainTimeoutS * 1000 },
  );
  const cpuResult = cpu.stop();
  await starting;
  const rows = await probe.rowCount();
  const seconds = (done.value - spawnedAt) / 1000;
  const run = {
    entries,
    accepted,
    backlogBefore,
    rows,
    seconds,
    rowsPerS: rows / seconds,
    secondsFromFirstRow: (done.value - first.value) / 1000,
    startupS: (first.value - spawnedAt) / 1000,
    cpu: cpuResult,
    memory: memory.stop(),
    check: {
      ok: rows === accepted && !done.timedOut,
      problems: [
        ...(rows === accepted ? [] : [`${rows} rows for ${accepted} accepted entries`]),
        ...(done.timedOut ? [`not drained within ${opts.drainTimeoutS} s`] : []),
      ],
    },
  };
  say(
    `  ${phase}: ${rows} rows in ${seconds.toFixed(2)} s from the worker's start = ${Math.round(run.rowsPerS)} rows/s ` +
      `(first row after ${run.startupS.toFixed(2)} s)${run.check.ok ? '' : `  CHECK FAILED: ${run.check.problems.join('; ')}`}`,
  );
  return { run, streamEntry };
}

/** Writes the drained rows to a CSV for the \copy ceiling: the same rows the worker just stored. */
async function exportRows(ctx) {
  const file = join(ctx.runDir, 'drained-rows.csv');
  await psql(ctx.stack.urls.DATABASE_URL, [
    '-c',
    `\\copy (SELECT ${COPY_COLUMNS} FROM logs ORDER BY id) TO ${sqlLiteral(file)} WITH (FORMAT csv)`,
  ]);
  return file;
}

/**
 * `inTurn(i)`, when given, runs after drain run i, once the drained rows are exported (the \copy
 * ceiling, pg-copy.mjs), so that each drain run has its yardstick measured right after it.
 */
export async function workerDrainScenario(ctx, { inTurn } = {}) {
  const { opts } = ctx;
  const runs = [];
  for (let i = 0; i < opts.runs; i += 1) {
    const { run, streamEntry } = await drainRun(
      ctx,
      `3 worker drain ${i + 1}/${opts.runs}`,
      opts.drainEntries,
    );
    ctx.streamEntry ??= streamEntry;
    if (i === 0) ctx.drainedRowsFile = await exportRows(ctx);
    runs.push(run);
    if (inTurn) await inTurn(i);
  }
  return { entries: opts.drainEntries, runs };
}
