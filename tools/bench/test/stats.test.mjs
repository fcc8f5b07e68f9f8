import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, percentile, ratio, summarize } from '../lib/stats.mjs';

test('percentile interpolates between the ranks and ignores non-finite values', () => {
  assert.equal(percentile([10, 20, 30, 40], 50), 25);
  assert.equal(percentile([40, 10, Number.NaN, 30, 20], 0), 10);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9.1);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('summarize gives the median with the min and max of the runs', () => {
  assert.deepEqual(summarize([3, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.equal(median([5]), 5);
  assert.equal(summarize([Number.NaN]).n, 0);
});

test('a ratio to a figure that was not measured is NaN, not Infinity or 0', () => {
  assert.equal(ratio(8, 2), 4);
  assert.ok(Number.isNaN(ratio(8, 0)));
  assert.ok(Number.isNaN(ratio(8, undefined)));
});
