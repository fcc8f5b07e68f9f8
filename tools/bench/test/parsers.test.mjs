import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRedisBenchmarkCsv, singleEntryValue } from '../ceilings/redis-xadd.mjs';
import { parseStat } from '../lib/proc-stats.mjs';
import { parseWrkSummary } from '../lib/wrk.mjs';

test("wrk's SUMMARY line becomes numbers; only answered non-error requests count as ok", () => {
  const output = [
    'Running 10s test @ http://127.0.0.1:8288/api/log',
    'SUMMARY requests=20030 duration_s=15.077 non2xx=30 connect_err=0 read_err=2 write_err=0 timeout_err=1 ' +
      'p50_ms=44.174 p90_ms=72.958 p99_ms=162.077 max_ms=241.382',
  ].join('\n');
  const summary = parseWrkSummary(output);
  assert.equal(summary.requests, 20030);
  assert.equal(summary.ok, 20000);
  assert.equal(summary.socketErrors, 3);
  assert.equal(summary.p99Ms, 162.077);
  assert.ok(Math.abs(summary.rps - 20030 / 15.077) < 1e-9);
  assert.equal(parseWrkSummary('no summary here'), null);
});

test('redis-benchmark CSV is read from the end, whatever quotes the command holds', () => {
  const output =
    '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"\n' +
    '"XADD bench:x * data [1,"a,b",{"k":"v"}]","121951.22","5.596","0.528","3.799","17.103","31.023","31.599"\n';
  assert.deepEqual(parseRedisBenchmarkCsv(output), { opsPerS: 121951.22, p50Ms: 3.799, p99Ms: 31.023 });
  assert.equal(parseRedisBenchmarkCsv('ERR unknown command'), null);
});

test('/proc/<pid>/stat is parsed after the last parenthesis, so a command with spaces and parens is fine', () => {
  const text = '4242 (node (worker) x) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 11 0 12345 0 0';
  assert.deepEqual(parseStat(text), { ppid: 17, ticks: 325, systemTicks: 75 });
});

test("the XADD ceiling's value is a chunk's first entry as version 2, whether the chunk is version 3 or 4", () => {
  const first = { timestamp: '2026-12-01T10:00:00.000Z', level: 'info', service: 'api', message: 'first' };
  const second = { ...first, message: 'second' };
  const v4 = JSON.stringify([4, Date.parse('2026-12-01T10:00:01.000Z'), 'default', [first, second]]);
  const single = JSON.parse(singleEntryValue(v4));
  assert.equal(single[0], 2);
  assert.ok(single.includes('first') && !single.includes('second'));
  const v3 = JSON.stringify([3, single.slice(1), single.slice(1)]);
  assert.equal(singleEntryValue(v3), JSON.stringify(single));
  assert.equal(singleEntryValue(JSON.stringify(single)), JSON.stringify(single));
});
