#!/usr/bin/env node
// syslog-ng for the syslog e2e tests, without installing it: Debian's syslog-ng-core conflicts with
// rsyslog (both claim to be the system logger), and the tests need both daemons. So the package is
// fetched with `apt-get download` (no root needed), unpacked with `dpkg-deb -x` into a cache folder,
// and run from there with its own module path and library path. Its library dependencies do not
// conflict with anything and are installed normally with apt-get (root only).
//
//   node tools/stack/lib/syslog-ng.mjs ensure   # fetch/unpack if missing; prints the JSON below
//   node tools/stack/lib/syslog-ng.mjs locate   # prints {"binary","modulePath","env"} or exits 1
//
// Cache: LOGPIPE_SYSLOG_NG_DIR, else $XDG_CACHE_HOME/logpipe/syslog-ng, else ~/.cache/logpipe/syslog-ng.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = 'syslog-ng-core';

export function syslogNgCacheDir() {
  if (process.env.LOGPIPE_SYSLOG_NG_DIR) return resolve(process.env.LOGPIPE_SYSLOG_NG_DIR);
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'logpipe', 'syslog-ng');
}

/** The unpacked syslog-ng (binary, module path, environment to run it with), or null. */
export function locateSyslogNg(cacheDir = syslogNgCacheDir()) {
  const root = join(cacheDir, 'root');
  const binary = join(root, 'usr', 'sbin', 'syslog-ng');
  const libDir = join(root, 'usr', 'lib', 'syslog-ng');
  if (!existsSync(binary) || !existsSync(libDir)) return null;
  // The plugin directory is named after the major.minor version (usr/lib/syslog-ng/3.38).
  const versionDir = readdirSync(libDir).find((name) => /^[0-9]+\.[0-9]+$/.test(name));
  if (versionDir === undefined) return null;
  const ldLibraryPath = [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return {
    binary,
    version: versionDir,
    modulePath: join(libDir, versionDir),
    env: { LD_LIBRARY_PATH: ldLibraryPath },
  };
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${result.status}): ${result.stderr ?? ''}`.trim(),
    );
  }
  return result.stdout ?? '';
}

/** Shared libraries the binary or its socket plugin cannot find (ldd "not found"). */
export function missingLibraries(located) {
  const missing = new Set();
  for (const file of [located.binary, join(located.modulePath, 'libafsocket.so')]) {
    const result = spawnSync('ldd', [file], { encoding: 'utf8', env: { ...process.env, ...located.env } });
    for (const line of (result.stdout ?? '').split('\n')) {
      const match = /^\s*(\S+) => not found/.exec(line);
      if (match) missing.add(match[1]);
    }
  }
  return [...missing];
}

/** The package's Depends (first alternative of each) that dpkg does not have installed. */
function uninstalledDependencies() {
  const text = run('apt-cache', [
    'depends',
    '--no-recommends',
    '--no-suggests',
    '--no-conflicts',
    '--no-breaks',
    '--no-replaces',
    '--no-enhances',
    PACKAGE,
  ]);
  const wanted = [];
  let alternative = false;
  for (const line of text.split('\n')) {
    const match = /^\s*(\|)?Depends: <?([a-z0-9.+-]+)>?/.exec(line);
    if (!match) continue;
    // `|Depends: a` is followed by its alternative `Depends: b`: take the first of each group.
    if (!alternative) wanted.push(match[2]);
    alternative = match[1] === '|';
  }
  return wanted.filter((name) => {
    const status = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return !(status.status === 0 && status.stdout.includes('install ok installed'));
  });
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Makes sure an unpacked syslog-ng is in the cache and can load its libraries; returns locateSyslogNg().
 * Throws with the command to run when something needs root and this is not root.
 */
export function ensureSyslogNg({ log = (message) => process.stderr.write(`[syslog-ng] ${message}\n`) } = {}) {
  const cacheDir = syslogNgCacheDir();
  let located = locateSyslogNg(cacheDir);
  if (located === null) {
    if (!existsSync('/usr/bin/apt-get'))
      throw new Error('syslog-ng is not unpacked and there is no apt-get to fetch it');
    const download = join(cacheDir, 'download');
    rmSync(download, { recursive: true, force: true });
    mkdirSync(download, { recursive: true });
    log(
      `fetching ${PACKAGE} with apt-get download into ${download} (not installed: it conflicts with rsyslog)`,
    );
    run('apt-get', ['download', PACKAGE], { cwd: download, stdio: ['ignore', 'pipe', 'pipe'] });
    const deb = readdirSync(download).find((name) => name.startsWith(`${PACKAGE}_`) && name.endsWith('.deb'));
    if (deb === undefined) throw new Error(`apt-get download ${PACKAGE} left no .deb in ${download}`);
    const root = join(cacheDir, 'root');
    rmSync(root, { recursive: true, force: true });
    run('dpkg-deb', ['-x', join(download, deb), root]);
    located = locateSyslogNg(cacheDir);
    if (located === null) throw new Error(`${deb} unpacked into ${root} but has no usr/sbin/syslog-ng`);
  }
  if (missingLibraries(located).length > 0) {
    const dependencies = uninstalledDependencies();
    if (!isRoot()) {
      throw new Error(
        `syslog-ng needs libraries that are not installed (${missingLibraries(located).join(', ')}); run:\n` +
          `  sudo apt-get install -y --no-install-recommends ${dependencies.join(' ')}`,
      );
    }
    log(`installing syslog-ng's library dependencies: ${dependencies.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['install', '-y', '--no-install-recommends', ...dependencies], { env, stdio: 'inherit' });
    const still = missingLibraries(located);
    if (still.length > 0) throw new Error(`syslog-ng still misses ${still.join(', ')} after apt-get install`);
  }
  return located;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  try {
    const located =
      command === 'ensure' ? ensureSyslogNg() : command === 'locate' ? locateSyslogNg() : undefined;
    if (located === undefined) {
      process.stderr.write('usage: syslog-ng.mjs ensure|locate\n');
      process.exit(2);
    }
    if (located === null) process.exit(1);
    process.stdout.write(`${JSON.stringify(located)}\n`);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
