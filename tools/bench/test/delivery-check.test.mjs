import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deliveryCheck } from '../lib/measure.mjs';

test('rows equal to the accepted entries and a few over the 2xx count (wrk in flight) pass', () => {
  const check = deliveryCheck({ accepted: 10064, rows: 10064, okEntries: 10000, maxInFlightEntries: 64 });
  assert.deepEqual(check, { ok: true, extraRows: 64, problems: [] });
});

test('a row missing for an accepted entry fails', () => {
  const check = deliveryCheck({ accepted: 10000, rows: 9999, okEntries: 9990, maxInFlightEntries: 64 });
  assert.equal(check.ok, false);
  assert.match(check.problems[0], /9999 rows for 10000 accepted/);
});

test('fewer rows than entries answered 2xx fails, even when Redis agrees with the table', () => {
  const check = deliveryCheck({ accepted: 900, rows: 900, okEntries: 1000, maxInFlightEntries: 64 });
  assert.equal(check.ok, false);
  assert.match(check.problems.join(), /100 entries answered 2xx are missing/);
});

test('more extra rows than requests could have been in flight fails (duplicates)', () => {
  const check = deliveryCheck({ accepted: 2000, rows: 2000, okEntries: 1000, maxInFlightEntries: 64 });
  assert.equal(check.ok, false);
  assert.match(check.problems.join(), /1000 more rows than 2xx entries/);
});
