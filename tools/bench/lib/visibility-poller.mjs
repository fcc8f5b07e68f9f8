// Freshness: how long after its 202 an entry is visible in PostgreSQL. Sampled entries carry a unique
// `id` (stored as event_id); after their 202 the poller asks for them every ~20 ms and records when each
// first shows up. It asks `log_event_ids`, whose primary key (tenant, event_id) finds them by index: the
// worker claims an entry's id in the same transaction as its row, so the id is visible exactly when the
// row is. (`logs` has no index on event_id since it was partitioned: asking it scanned the whole partition
// every 20 ms, and that scan's PostgreSQL CPU grew with the table until it slowed the store it measured.)
// The time recorded is the start of the query that found the row, so a figure is an upper bound, too high
// by at most one poll interval plus one query.
// Each poll asks for the oldest `maxIdsPerQuery` ids still unseen (rows become visible roughly in the order
// their requests were answered). With 2,000 the poller's own PostgreSQL load grew with the backlog, from 5%
// to 22% of a core while a failing step's backlog grew to 190,000 (BENCHMARKS.md, 2026-12-04 18:00): a
// failing step failed deeper. 500 is about 3 s of a passing step's sampled requests at 160 per second, so a
// passing step is asked for all of its outstanding ids as before.
export function visibilityPoller(db, { intervalMs = 20, maxIdsPerQuery = 500, tenant = 'default' } = {}) {
  const pending = new Map();
  const seen = [];
  let running = true;
  let loop;

  const pollOnce = async () => {
    if (pending.size === 0) return;
    const ids = [...pending.keys()].slice(0, maxIdsPerQuery);
    const queriedAt = performance.now();
    const { rows } = await db.query(
      'SELECT event_id FROM log_event_ids WHERE tenant = $1 AND event_id = ANY($2::varchar[])',
      [tenant, ids],
    );
    for (const { event_id: id } of rows) {
      const answeredAt = pending.get(id);
      pending.delete(id);
      seen.push({ answeredAt, visibleAt: queriedAt, freshnessMs: Math.max(0, queriedAt - answeredAt) });
    }
  };

  const run = async () => {
    while (running) {
      const started = performance.now();
      await pollOnce();
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, intervalMs - (performance.now() - started))),
      );
    }
  };

  return {
    start() {
      loop = run();
    },
    /** The entry `id` was answered 202 at `answeredAt` (performance.now()). */
    track(id, answeredAt) {
      pending.set(id, answeredAt);
    },
    /** Keeps polling until every tracked id was seen or `timeoutMs` passed; then stops. */
    async finish(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (pending.size > 0 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
      running = false;
      await loop;
      return { seen, unseen: pending.size };
    },
  };
}
