import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bracket, judgeStep, lowerCandidate, nextRate, slope } from '../lib/rate-search.mjs';
import { backlogTrend } from '../scenarios/sustained.mjs';

const step = (extra = {}) => ({
  offeredPerS: 10000,
  durationS: 20,
  okEntries: 200000,
  unseen: 0,
  freshnessP99: 400,
  freshnessP99LastQuarter: 450,
  backlogAtEnd: 1000,
  backlogSlope: 0,
  ...extra,
});

test('slope is the least-squares trend, NaN with fewer than 3 points', () => {
  assert.equal(slope([0, 1, 2, 3].map((t) => ({ t, y: 5 + 2 * t }))), 2);
  assert.ok(
    Number.isNaN(
      slope([
        { t: 0, y: 1 },
        { t: 1, y: 2 },
      ]),
    ),
  );
});

test('backlogTrend leaves out the settling seconds and gives rows stored per second', () => {
  const samples = [0, 1, 2, 3, 4, 5].map((t) => ({
    t,
    rows: t === 0 ? 0 : 100 + 900 * t,
    backlog: t === 0 ? 9999 : 10 * t,
  }));
  const trend = backlogTrend(samples, { settleS: 1 });
  assert.ok(Math.abs(trend.backlogSlope - 10) < 1e-9);
  assert.equal(trend.storedPerS, 900);
});

test('a step passes with p99 < 1 s, all answered 2xx and a backlog that does not build up', () => {
  assert.deepEqual(judgeStep(step(), { fullSeconds: 60 }), { pass: true, reasons: [] });
  assert.match(judgeStep(step({ freshnessP99: 1000 }), { fullSeconds: 60 }).reasons[0], /p99 1000 ms/);
  assert.match(
    judgeStep(step({ freshnessP99LastQuarter: 1200 }), { fullSeconds: 60 }).reasons[0],
    /last quarter/,
  );
  assert.match(judgeStep(step({ okEntries: 190000 }), { fullSeconds: 60 }).reasons[0], /95% of the offered/);
  assert.match(judgeStep(step({ unseen: 3 }), { fullSeconds: 60 }).reasons[0], /never became visible/);
});

test('a probe whose backlog would hold more than a second of intake by the full length fails', () => {
  // 1,000 + 200/s × 40 s = 9,000 < 10,000 entries (1 s at 10,000/s): passes; 250/s: 11,000, fails.
  assert.equal(judgeStep(step({ backlogSlope: 200 }), { fullSeconds: 60 }).pass, true);
  const verdict = judgeStep(step({ backlogSlope: 250 }), { fullSeconds: 60 });
  assert.equal(verdict.pass, false);
  assert.match(verdict.reasons[0], /growing 250\/s: ~11000 at 60 s/);
  // A full-length step is judged on the backlog it ended with.
  assert.equal(
    judgeStep(step({ durationS: 60, okEntries: 600000, backlogSlope: 250 }), { fullSeconds: 60 }).pass,
    true,
  );
});

test('the search goes up by 1.5× while steps pass, below a failure, then bisects to 10%', () => {
  const s = (offeredPerS, pass, storedPerS) => ({ offeredPerS, pass, storedPerS });
  assert.equal(nextRate([s(10000, true)]), 15000);
  assert.equal(nextRate([s(10000, true), s(15000, false)]), 12247);
  assert.equal(nextRate([s(10000, true), s(10900, false)]), null);
  // Below a failure: 90% of what the pipeline stored while overloaded, if that is lower than ÷ 1.5.
  assert.equal(nextRate([s(15000, false, 8000)]), 7200);
  assert.equal(nextRate([s(15000, false, Number.NaN)]), 10000);
  // A failure below a pass is noise: the bracket keeps the consistent failure above it.
  assert.deepEqual(bracket([s(8000, false), s(10000, true), s(12000, false)]), { low: 10000, high: 12000 });
  assert.equal(lowerCandidate({ offeredPerS: 10000, storedPerS: 20000 }), 8500);
  assert.equal(lowerCandidate({ offeredPerS: 10000, storedPerS: 7000 }), 6300);
});
