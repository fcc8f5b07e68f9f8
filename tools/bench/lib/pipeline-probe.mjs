// What the pipeline holds at a moment: entries Redis accepted, the backlog the worker still has to
// store, and the rows in PostgreSQL. Cheap enough to sample every second under load.
import pg from 'pg';
import { Redis } from 'ioredis';
import { pollUntil } from './sleep.mjs';

/**
 * Rows stored so far, from the `log_counts` rollup: its statement trigger adds every batch's rows, grouped,
 * in the batch's own transaction, so the sum moves exactly when rows commit, and reading it costs a few
 * hundred small rows however large `logs` has grown (see rowCounter).
 */
export const STORED_ROWS_SQL = 'SELECT coalesce(sum(count), 0)::bigint AS n FROM log_counts';

export const STREAM_KEY = 'logs:stream';
export const STREAM_GROUP = 'log-workers';

export async function openProbe({ redisUrl, databaseUrl }) {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  const db = new pg.Client({ connectionString: databaseUrl, application_name: 'logpipe-bench' });
  await db.connect();

  const probe = {
    redis,
    db,
    /**
     * Log entries ever appended (the producer's counter `<stream>:appended`): every entry ingest
     * accepted. XINFO's entries-added counts stream entries, and a chunk holds up to CHUNK_MAX_ENTRIES.
     */
    async entriesAdded() {
      return Number((await redis.get(`${STREAM_KEY}:appended`)) ?? 0);
    },
    /**
     * Log entries not yet stored (the counter `<stream>:entries` ingest adds to and the worker takes
     * off as it acknowledges), or 0 when there is none yet.
     */
    async backlog() {
      return Math.max(0, Number((await redis.get(`${STREAM_KEY}:entries`)) ?? 0));
    },
    async rowCount() {
      const { rows } = await db.query('SELECT count(*)::bigint AS n FROM logs');
      return Number(rows[0].n);
    },
    /** Rows stored so far, as the `log_counts` rollup counts them (STORED_ROWS_SQL). */
    async storedRows() {
      const { rows } = await db.query(STORED_ROWS_SQL);
      return Number(rows[0].n);
    },
    /**
     * A counter of rows stored since it was made, sampled every second under load. It must cost the
     * PostgreSQL it measures next to nothing, whatever the table's size: the sum of `log_counts`, whose
     * trigger counts each batch's rows in the batch's own transaction (so a batch is counted when it
     * commits, not before, and a refused duplicate never). Counting `logs` itself would read the rows:
     * the counter used to range-scan the primary key on `id`, and since the primary key moved to
     * `(stream_id, ts)` (migration 1796385600000) no index leads with `id`, so the same query read
     * the whole partition's index every second, a share of PostgreSQL's CPU that grew with the step
     * (BENCHMARKS.md, 2026-12-06 11:00). The final check of every scenario still uses count(*).
     */
    async rowCounter() {
      const base = await probe.storedRows();
      return async () => (await probe.storedRows()) - base;
    },
    /** Waits until the backlog is 0, then until count(*) stops changing for `settleMs`. */
    async waitDrained({ timeoutMs, settleMs = 500, onTick }) {
      const started = performance.now();
      const { timedOut } = await pollUntil(
        async () => {
          const backlog = await probe.backlog();
          onTick?.({ backlog });
          return backlog === 0;
        },
        { intervalMs: 100, timeoutMs },
      );
      let rows = await probe.rowCount();
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, settleMs));
        const again = await probe.rowCount();
        if (again === rows) break;
        rows = again;
      }
      return { rows, timedOut, seconds: (performance.now() - started) / 1000 };
    },
    async close() {
      redis.disconnect();
      await db.end();
    },
  };
  return probe;
}
