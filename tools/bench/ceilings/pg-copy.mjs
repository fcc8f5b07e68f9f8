// Ceiling for scenario 3: psql's \copy of the rows the worker stored in the drain into the same table,
// `logs` itself (its partitions, indexes and the log_counts trigger), emptied and checkpointed before each
// run, in the stack's own PostgreSQL. (A table made LIKE logs had no partitions and no trigger: not the
// same table.) Only the event-id claim in log_event_ids, which the worker does for rows with an id, is
// not repeated; the bench's entries carry no id.
import { resetTable } from '../lib/measure.mjs';
import { cpuMeter } from '../lib/proc-stats.mjs';
import { progress, say } from '../lib/progress.mjs';
import { psql, sqlLiteral } from '../lib/psql.mjs';
import { COPY_COLUMNS } from '../scenarios/worker-drain.mjs';

const TABLE = 'logs';

export async function pgCopyCeiling(ctx) {
  const { opts, stack, probe, drainedRowsFile } = ctx;
  const runs = [];
  try {
    for (let i = 0; i < opts.runs; i += 1) {
      const phase = `ceiling psql \\copy ${i + 1}/${opts.runs}`;
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
      runs.push({ rows: count, seconds, rowsPerS: count / seconds, cpu: cpuResult });
      say(`  ${phase}: ${count} rows in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)} rows/s`);
    }
  } finally {
    // Later scenarios start from an empty table, as after the drain.
    await resetTable(probe, TABLE);
  }
  return { runs };
}
