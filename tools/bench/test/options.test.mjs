import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError, parseOptions } from '../lib/options.mjs';

test('the full profile runs everything 3 times, with the reference, and appends to BENCHMARKS.md', () => {
  const opts = parseOptions([]);
  assert.equal(opts.mode, 'full');
  assert.equal(opts.runs, 3);
  assert.equal(opts.drainEntries, 200000);
  assert.equal(opts.reference, true);
  assert.equal(opts.append, true);
  assert.deepEqual(opts.batchVariants, ['json-100', 'ndjson-gzip-100', 'json-1000', 'ndjson-gzip-1000']);
});

test('--quick is a short smoke run without the reference and without appending, unless asked', () => {
  const quick = parseOptions(['--quick']);
  assert.equal(quick.runs, 1);
  assert.equal(quick.reference, false);
  assert.equal(quick.append, false);
  const asked = parseOptions(['--quick', '--reference', '--append', '--runs=2', '--only', '1,4']);
  assert.deepEqual([asked.reference, asked.append, asked.runs, asked.only], [true, true, 2, ['1', '4']]);
});

test('bad options are usage errors that name the option', () => {
  assert.throws(
    () => parseOptions(['--runs', 'x']),
    (error) => error instanceof UsageError && /--runs/.test(error.message),
  );
  assert.throws(() => parseOptions(['--only', '1,9']), /unknown 9/);
  assert.deepEqual(parseOptions(['--only', 'floor', '--no-reference']).only, ['floor']);
  assert.throws(() => parseOptions(['--drain-entries', '1500']), /multiple of 1000/);
  assert.throws(() => parseOptions(['--frobnicate']), /unknown option --frobnicate/);
});

test('the rate search: probes, confirmations and the baseline, shorter with --quick', () => {
  const full = parseOptions([]);
  assert.deepEqual(
    [full.searchProbes, full.searchProbeSeconds, full.searchConfirms, full.sustainedBaseline],
    [4, 20, 4, null],
  );
  assert.ok(full.only.includes('search'));
  const quick = parseOptions([
    '--quick',
    '--only',
    'search',
    '--sustained-baseline',
    '9000',
    '--search-start=6000',
  ]);
  assert.deepEqual(
    [
      quick.searchProbes,
      quick.searchProbeSeconds,
      quick.searchConfirms,
      quick.sustainedBaseline,
      quick.searchStart,
    ],
    [3, 5, 1, 9000, 6000],
  );
  assert.deepEqual(quick.only, ['search']);
});

test('the pre-change build searched in turn: its checkout, the rounds, its first rate', () => {
  const opts = parseOptions([
    '--only',
    'search',
    '--sustained-baseline-dir',
    '.bench/baseline',
    '--sustained-rounds=5',
    '--sustained-baseline-start',
    '12000',
  ]);
  assert.deepEqual(
    [opts.sustainedBaselineDir, opts.sustainedRounds, opts.sustainedBaselineStart],
    ['.bench/baseline', 5, 12000],
  );
  assert.deepEqual([parseOptions([]).sustainedBaselineDir, parseOptions([]).sustainedRounds], [null, 3]);
  assert.throws(
    () => parseOptions(['--sustained-baseline', '9000', '--sustained-baseline-dir', 'x']),
    /either with --sustained-baseline or --sustained-baseline-dir/,
  );
  assert.throws(
    () => parseOptions(['--sustained-rounds', '1.5']),
    /--sustained-rounds must be a whole number/,
  );
});
