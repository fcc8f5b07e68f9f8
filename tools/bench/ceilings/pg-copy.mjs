// Ceiling for scenario 3: psql's \copy of the rows the worker stored in the drain, into a table made
// LIKE logs INCLUDING ALL (same columns, defaults, identity, indexes), emptied and checkpointed before
// each run, in the stack's own PostgreSQL.
import { resetTable } from '../lib/measure.mjs';
import { cpuMeter } from '../lib/proc-stats.mjs';
import { progress, say } from '../lib/progress.mjs';
import { psql, sqlLiteral } from '../lib/psql.mjs';
import { COPY_COLUMNS } from '../scenarios/worker-drain.mjs';

const TABLE = 'bench_copy_ceiling';

export async function pgCopyCeiling(ctx) {
  const { opts, stack, probe, drainedRowsFile } = ctx;
  await probe.db.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await probe.db.query(`CREATE TABLE ${TABLE} (LIKE logs INCLUDING ALL)`);
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
    await probe.db.query(`DROP TABLE IF EXISTS ${TABLE}`);
  }
  return { runs };
}
