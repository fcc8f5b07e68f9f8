// Which machine and software a run measured, for the heading of its BENCHMARKS.md entry.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';

function firstLine(command, args, pattern) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  const text = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  return pattern.exec(text)?.[1] ?? 'unknown';
}

export function loadAverage() {
  return loadavg().map((value) => value.toFixed(2));
}

export function describeMachine(repoRoot) {
  const commit = spawnSync('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], {
    encoding: 'utf8',
  }).stdout?.trim();
  const dirty = spawnSync('git', ['-C', repoRoot, 'status', '--porcelain', '--untracked-files=no'], {
    encoding: 'utf8',
  }).stdout?.trim();
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    nginx: firstLine('nginx', ['-v'], /nginx\/([\d.]+)/),
    redis: firstLine('redis-server', ['--version'], /v=([\d.]+)/),
    postgres: firstLine('psql', ['--version'], /([\d.]+)/),
    wrk: firstLine('wrk', ['-v'], /wrk (?:debian\/)?([\d.]+)/),
    commit: commit ? `${commit}${dirty ? ' + uncommitted changes' : ''}` : 'unknown',
  };
}
