import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { baselineSearch, baselineSearchArgs, newestResultsSince } from '../lib/baseline-search.mjs';
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
