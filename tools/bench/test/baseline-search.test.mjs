import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  baselineSearch,
  baselineSearchArgs,
  newestResultsSince,
  searchTurn,
} from '../lib/baseline-search.mjs';
import { parseOptions } from '../lib/options.mjs';

test("the pre-change bench runs only its search, with this run's search settings, on its own ports", () => {
  const opts = parseOptions(['--search-probes', '3', '--sustained-seconds', '30']);
  const args = baselineSearchArgs({ startRate: 12000.4, portBase: 8338, stateDir: '/b/.bench/stack', opts });
  const value = (flag) => args[args.indexOf(flag) + 1];
  assert.equal(args[0], 'tools/bench/run.mjs');
  assert.ok(args.includes('--skip-build') && args.includes('--no-append') && args.includes('--no-reference'));
  assert.deepEqual(
    ['--only', '--search-start', '--search-probes', '--sustained-seconds', '--port-base', '--state-dir'].map(
      value,
    ),
    ['search', '12000', '3', '30', '8338', '/b/.bench/stack'],
  );
});

test('the newest results.json written since the search started is its result', () => {
  const runs = mkdtempSync(join(tmpdir(), 'bench-runs-'));
  try {
    const write = (name, mtimeS, rate) => {
      mkdirSync(join(runs, name));
      const file = join(runs, name, 'results.json');
      writeFileSync(file, JSON.stringify({ sustainedSearch: { ratePerS: rate } }));
      utimesSync(file, mtimeS, mtimeS);
    };
    write('old', 1000, 1);
    write('new', 3000, 2);
    assert.equal(newestResultsSince(runs, 2000 * 1000).sustainedSearch.ratePerS, 2);
    assert.equal(newestResultsSince(runs, 4000 * 1000), null);
    assert.equal(newestResultsSince(join(runs, 'absent'), 0), null);
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});

test('a directory without a built checkout is refused with what to run', async () => {
  await assert.rejects(
    baselineSearch({ dir: tmpdir(), startRate: 1000, portBase: 9000, logFile: '/dev/null', opts: {} }),
    /no built checkout there \(run node tools\/bench\/baseline\/prepare\.mjs/,
  );
});

test("a turn holds its search's figure and steps in brief, or its error", () => {
  const search = {
    ratePerS: null, // NaN, as results.json holds it
    steps: [{ kind: 'probe', offeredPerS: 9000, durationS: 20, pass: false, freshnessP99: 1500 }],
  };
  const turn = searchTurn({
    build: 'pre-change',
    commit: 'f73fcd7',
    startedMs: 0,
    startRate: 8999.6,
    search,
  });
  assert.ok(Number.isNaN(turn.ratePerS));
  assert.deepEqual(turn.steps, [{ kind: 'probe', offeredPerS: 9000, durationS: 20, pass: false }]);
  assert.deepEqual(
    [turn.startedAt, turn.startRate, 'error' in turn],
    ['1970-01-01T00:00:00.000Z', 9000, false],
  );
  const failed = searchTurn({
    build: 'pre-change',
    commit: null,
    startedMs: 0,
    startRate: 9000,
    error: 'exit 1',
  });
  assert.deepEqual([failed.steps, failed.error], [[], 'exit 1']);
  assert.ok(Number.isNaN(failed.ratePerS));
});
