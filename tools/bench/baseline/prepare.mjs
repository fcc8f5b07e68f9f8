#!/usr/bin/env node
// Makes the pre-change build that the bench's sustained search is compared with (issue 14: "≥ 1.5×
// today's, same bench"): a git worktree of PRE_CHANGE_COMMIT, its own `npm ci` and production build, and
// two fixes to its bench's own measuring (the row counter and the freshness poller loaded the very
// PostgreSQL they measured; BENCHMARKS.md, 2026-12-01 21:55) from harness-<commit>.patch. Nothing of its
// product code changes. Then
//   node tools/bench/run.mjs --sustained-baseline-dir .bench/baseline
// searches both builds in turn.
// Usage: node tools/bench/baseline/prepare.mjs [--dir DIR]   (default .bench/baseline; reused when ready)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The last commit before issue 14's changes: the bench's search and this build's figures began there. */
const PRE_CHANGE_COMMIT = 'f73fcd76f1c6416a163816af1d2656244866a1d2';
const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '../../..');
const PATCH = join(HERE, `harness-${PRE_CHANGE_COMMIT.slice(0, 7)}.patch`);
const READY_MARKER = '.logpipe-pre-change-ready';

function run(command, args, options = {}) {
  process.stdout.write(`$ ${command} ${args.join(' ')}\n`);
  execFileSync(command, args, { stdio: 'inherit', ...options });
}

function headOf(dir) {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes('--help') || (args.length > 0 && (args[0] !== '--dir' || args.length !== 2))) {
    process.stdout.write('usage: node tools/bench/baseline/prepare.mjs [--dir DIR]\n');
    return args.includes('--help') ? 0 : 2;
  }
  const dirArg = args[1] ?? '.bench/baseline';
  const dir = resolve(REPO_ROOT, dirArg);
  // The marker names the commit and the harness patch it was made with: a checkout made with an older
  // patch gets the new one (bench files only, nothing to rebuild) instead of measuring with the old.
  const marker = `${PRE_CHANGE_COMMIT} ${createHash('sha256').update(readFileSync(PATCH)).digest('hex')}\n`;
  const markerPath = join(dir, READY_MARKER);
  if (headOf(dir) === PRE_CHANGE_COMMIT && existsSync(markerPath)) {
    if (readFileSync(markerPath, 'utf8') !== marker) {
      run('git', ['-C', dir, 'checkout', '--', '.']);
      run('git', ['-C', dir, 'apply', PATCH]);
      writeFileSync(markerPath, marker);
    }
    process.stdout.write(`ready: ${dir} (${PRE_CHANGE_COMMIT.slice(0, 7)})\n`);
    return 0;
  }
  if (existsSync(dir)) run('git', ['-C', REPO_ROOT, 'worktree', 'remove', '--force', dir]);
  run('git', ['-C', REPO_ROOT, 'worktree', 'prune']);
  run('git', ['-C', REPO_ROOT, 'worktree', 'add', '--force', '--detach', dir, PRE_CHANGE_COMMIT]);
  run('git', ['-C', dir, 'apply', PATCH]);
  run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir });
  run('npx', ['nx', 'run-many', '-t', 'build', '-p', 'ingest', 'worker', '--configuration=production'], {
    cwd: dir,
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
  writeFileSync(markerPath, marker);
  process.stdout.write(`ready: ${dir}\nnow: node tools/bench/run.mjs --sustained-baseline-dir ${dirArg}\n`);
  return 0;
}

process.exitCode = main();
