// What the pipeline holds at a moment: entries Redis accepted, the backlog the worker still has to
// store, and the rows in PostgreSQL. Cheap enough to sample every second under load.
import pg from 'pg';
import { Redis } from 'ioredis';
import { pollUntil } from './sleep.mjs';

/**
 * Planner settings for the row counter's query (see rowCounter), for its transaction only. SET LOCAL
 * needs a transaction: a query string of several statements is one, which is why the counter's id goes
 * into the SQL as text (an integer read from PostgreSQL, never input).
 */
export const INDEX_ONLY_SETTINGS =
  'SET LOCAL enable_seqscan = off; SET LOCAL max_parallel_workers_per_gather = 0';

/** Rows above `lastId` and the highest id among them: a range scan of the primary key's index. */
export function rowsAboveSql(lastId) {
  const id = BigInt(lastId).toString();
  return `SELECT count(*)::bigint AS n, coalesce(max(id), ${id})::bigint AS id FROM logs WHERE id > ${id}`;
}

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
    async maxRowId() {
      const { rows } = await db.query('SELECT coalesce(max(id), 0)::bigint AS id FROM logs');
      return Number(rows[0].id);
    },
    /**
     * A counter of rows inserted since it was made, by counting ids above the last seen maximum:
     * an index range scan over the new rows only, where count(*) would scan the whole table. Ids are
     * drawn when a batch is written, not when it commits: with several batches in flight, one that
     * commits after a batch of higher ids is not counted, so the series can run up to ~1% low under
     * load (15,000 offered with the backlog flat: 14,760–14,973/s counted). The final check of every
     * scenario uses count(*).
     *
     * The scan is forced onto the primary key's index. A step starts on a just-truncated partition that
     * autovacuum has not analysed yet, and without statistics the planner takes `id > $1` to match a
     * third of the table and chose a parallel sequential scan of the whole partition: each sample read
     * every row again (900,000 at the end of a 60 s step at 15,000 rows/s: 230 ms and three backends),
     * so the bench's own sampling took a growing share of the PostgreSQL CPU it was measuring.
     */
    async rowCounter() {
      let lastId = await probe.maxRowId();
      let total = 0;
      return async () => {
        const results = await db.query(`${INDEX_ONLY_SETTINGS}; ${rowsAboveSql(lastId)}`);
        const { rows } = results.at(-1);
        total += Number(rows[0].n);
        lastId = Number(rows[0].id);
        return total;
      };
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
