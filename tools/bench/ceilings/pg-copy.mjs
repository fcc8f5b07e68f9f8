// Ceiling for scenario 3: psql's \copy of the rows the worker stored in the drain into the same table,
// `logs` itself (its partitions, indexes and the log_counts trigger), emptied and checkpointed before each
// run, in the stack's own PostgreSQL. (A table made LIKE logs had no partitions and no trigger: not the
// same table.) Only the event-id claim in log_event_ids, which the worker does for rows with an id, is
// not repeated; the bench's entries carry no id.
//
// The \copy runs take turns with the drain's (workerDrainScenario's `inTurn`): each drain run is followed
// by one \copy run, and figures.mjs compares each pair, as scenario 1 does with the reference. Run after
// all three drains, the ceiling met another machine than the runs it was compared with: the drain's ratio
// to it moved between full runs from 85% to 106% (2026-12-03 and 12-04, the same code path), and on a
// quiet machine the same build drained at 107-115% of \copy (2026-12-04, `--only 3,ceilings`).
import { resetTable } from '../lib/measure.mjs';
import { cpuMeter } from '../lib/proc-stats.mjs';
import { progress, say } from '../lib/progress.mjs';
import { psql, sqlLiteral } from '../lib/psql.mjs';
import { COPY_COLUMNS } from '../scenarios/worker-drain.mjs';

const TABLE = 'logs';

/** One \copy of ctx.drainedRowsFile into the emptied table: `{ rows, seconds, rowsPerS, cpu }`. */
async function pgCopyRun(ctx, phase) {
  const { stack, probe, drainedRowsFile } = ctx;
  await resetTable(probe, TABLE);
  progress(phase);
  const cpu = cpuMeter(() => ({ postgres: stack.pid('postgres'), bench: process.pid }));
  cpu.start();
  const { seconds } = await psql(stack.urls.DATABASE_URL, [
    '-c',
    `\\copy ${TABLE}(${COPY_COLUMNS}) FROM ${sqlLiteral(drainedRowsFile)} WITH (FORMAT csv)`,
  ]);
  const cpuResult = cpu.stop();
  const { rows } = await probe.db.query(`SELECT count(*)::bigint AS n FROM ${TABLE}`);
  const count = Number(rows[0].n);
  say(`  ${phase}: ${count} rows in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)} rows/s`);
  return { rows: count, seconds, rowsPerS: count / seconds, cpu: cpuResult };
}

/**
 * The ceiling in turn with the drain: `inTurn(i)` is given to workerDrainScenario, which calls it after
 * its run i (once the drained rows are exported); `result()` is the ceiling's `{ runs, inTurn: true }`.
 */
export function pgCopyInTurnWithDrain(ctx) {
  const runs = [];
  return {
    inTurn: async (i) => {
      try {
        runs.push(await pgCopyRun(ctx, `ceiling psql \\copy ${i + 1}/${ctx.opts.runs} (in turn)`));
      } finally {
        // The scenarios after the drain start from an empty table, as after a drain; each drain run
        // empties it itself, so only the last \copy run needs to.
        if (i === ctx.opts.runs - 1) await resetTable(ctx.probe, TABLE);
      }
    },
    result: () => ({ runs, inTurn: true }),
  };
}
