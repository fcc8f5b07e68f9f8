#!/usr/bin/env node
// `npx logpipe ...` / `npm run logpipe -- ...`: runs the CLI bundle (dist/apps/cli/main.js), building it
// first with Nx when it is missing or older than the CLI's sources. Operators on a deployed host run the
// bundle directly: node /opt/logpipe/dist/apps/cli/main.js dead list.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bundle = join(root, 'dist', 'apps', 'cli', 'main.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const sources = ['apps/cli/src', 'libs/stream-client/src', 'libs/log-schema/src', 'libs/app-runtime/src'];
const stale =
  !existsSync(bundle) ||
  sources.some(
    (dir) => existsSync(join(root, dir)) && newestMtime(join(root, dir)) > statSync(bundle).mtimeMs,
  );
if (stale) {
  process.stderr.write('logpipe: building the CLI (nx run cli:build)...\n');
  // The nx CLI script as its package.json names it (it moved between Nx majors).
  const nxPackage = join(root, 'node_modules', 'nx');
  const { bin } = JSON.parse(readFileSync(join(nxPackage, 'package.json'), 'utf8'));
  const nx = join(nxPackage, typeof bin === 'string' ? bin : bin.nx);
  const build = spawnSync(process.execPath, [nx, 'run', 'cli:build'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const result = spawnSync(process.execPath, [bundle, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
