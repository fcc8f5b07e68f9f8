import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idTaggedBatch, perSecondSeries } from '../scenarios/sustained.mjs';

test('the sampled entry of every batch carries the id the freshness poller looks up', () => {
  const bodyFor = idTaggedBatch(100, 'bench-x-');
  const batch = JSON.parse(bodyFor(41));
  assert.equal(batch.length, 100);
  assert.equal(batch[0].id, 'bench-x-41');
  assert.ok(batch.slice(1).every((entry) => entry.id === undefined));
  assert.equal(JSON.parse(bodyFor(42))[0].id, 'bench-x-42');
});

test('per-second series: offered and answered by send/answer time, stored from row-count deltas', () => {
  const series = perSecondSeries({
    sentAt: [0.1, 0.5, 1.2, 1.7],
    answers: [0.2, 0.6, 1.3],
    freshness: [
      { t: 0.2, freshnessMs: 40 },
      { t: 0.6, freshnessMs: 60 },
      { t: 1.3, freshnessMs: 100 },
    ],
    samples: [
      { t: 1.0, rows: 150, backlog: 50 },
      { t: 2.0, rows: 300, backlog: 100 },
    ],
    batchSize: 100,
    seconds: 2,
  });
  assert.deepEqual(
    series.map(({ offered, accepted, stored, backlog }) => ({ offered, accepted, stored, backlog })),
    [
      { offered: 200, accepted: 200, stored: 150, backlog: 50 },
      { offered: 200, accepted: 100, stored: 150, backlog: 100 },
    ],
  );
  assert.equal(series[0].freshnessP50, 50);
  assert.equal(series[1].freshnessP99, 100);
});
