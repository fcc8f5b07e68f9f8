import assert from 'node:assert/strict';
import { test } from 'node:test';
import { visibilityPoller } from '../lib/visibility-poller.mjs';

/** A stand-in for the pg client: ids become visible when the test says so; every query is recorded. */
function fakeDatabase() {
  const visible = new Set();
  const queries = [];
  return {
    visible,
    queries,
    async query(_sql, [tenant, ids]) {
      queries.push({ tenant, ids });
      return { rows: ids.filter((id) => visible.has(id)).map((id) => ({ event_id: id })) };
    },
  };
}

test('the poller asks for the oldest unseen ids, at most maxIdsPerQuery of them', async () => {
  const db = fakeDatabase();
  const poller = visibilityPoller(db, { intervalMs: 1, maxIdsPerQuery: 3 });
  for (let i = 0; i < 5; i += 1) poller.track(`id-${i}`, performance.now());
  poller.start();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(db.queries[0], { tenant: 'default', ids: ['id-0', 'id-1', 'id-2'] });
  for (let i = 0; i < 5; i += 1) db.visible.add(`id-${i}`);
  const { seen, unseen } = await poller.finish(1000);
  assert.equal(unseen, 0);
  assert.equal(seen.length, 5);
  assert.ok(db.queries.every(({ ids }) => ids.length <= 3));
});

test('the default cap is 500 ids per query', async () => {
  const db = fakeDatabase();
  const poller = visibilityPoller(db, { intervalMs: 1 });
  for (let i = 0; i < 700; i += 1) poller.track(`id-${i}`, performance.now());
  poller.start();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(db.queries[0].ids.length, 500);
  assert.equal(db.queries[0].ids[0], 'id-0');
  const { unseen } = await poller.finish(0);
  assert.equal(unseen, 700);
});
