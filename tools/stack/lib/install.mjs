// Installing what a fresh clone on a fresh Debian/Ubuntu machine lacks: npm dependencies, and the
// nginx (with its stream module), Redis and PostgreSQL binaries (apt-get, root only); for the syslog
// tests also rsyslog and an unpacked syslog-ng (./syslog-ng.mjs: it cannot be installed beside rsyslog).
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  findKubectl,
  findNginx,
  findPostgresBinDir,
  findRedisServer,
  nginxBuildInfo,
  nginxStreamModule,
} from './binaries.mjs';
import { StackError } from './errors.mjs';
import { isRoot } from './os-users.mjs';
import { info, warn } from './output.mjs';
import { ensureSyslogNg } from './syslog-ng.mjs';

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw new StackError(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0)
    throw new StackError(`${command} ${args.join(' ')} failed (exit ${result.status})`);
}

/**
 * npm's own freshness rule: node_modules/.package-lock.json is written by every install, so a lock
 * file newer than it (a pull that changed dependencies) means the tree is out of date.
 */
export function nodeModulesStale(repoRoot) {
  const hidden = join(repoRoot, 'node_modules', '.package-lock.json');
  if (!existsSync(hidden)) return true;
  return statSync(join(repoRoot, 'package-lock.json')).mtimeMs > statSync(hidden).mtimeMs;
}

export function ensureNodeModules(repoRoot) {
  if (!nodeModulesStale(repoRoot)) return;
  // A worktree whose node_modules links to another checkout's: `npm ci` here would empty the shared
  // tree under every other checkout using it (it did once, from a bench run in a worktree).
  const modules = join(repoRoot, 'node_modules');
  if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) {
    warn(
      `node_modules is a link to ${realpathSync(modules)}; not running npm ci over a shared tree (install there)`,
    );
    return;
  }
  info('installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: repoRoot });
}

const RSYSLOGD = '/usr/sbin/rsyslogd';

/** Debian/Ubuntu package names for the binaries that are missing, given which services are local. */
export function missingPackages({
  needRedis,
  needPostgres,
  needSyslog = false,
  needBrowser = false,
  needKubectl = false,
}) {
  const missing = [];
  const nginx = findNginx();
  if (nginx === null) missing.push('nginx');
  // The syslog front is nginx's stream module, a separate package on Debian (nginx-light lacks it).
  else if (nginxStreamModule(nginxBuildInfo(nginx).flags) === null) missing.push('libnginx-mod-stream');
  if (needSyslog && !existsSync(RSYSLOGD)) missing.push('rsyslog');
  if (needRedis && findRedisServer() === null) missing.push('redis-server');
  if (needPostgres && findPostgresBinDir() === null) missing.push('postgresql');
  // Only the tests need a browser (apps/console-e2e drives Debian's chromium; nothing downloads one).
  if (needBrowser && !existsSync(CHROMIUM)) missing.push('chromium');
  // Only the manifest tests need kubectl (apps/k8s-manifests renders deploy/k8s with `kubectl kustomize`).
  // Any kubectl on PATH will do; Debian's kubernetes-client is kubectl 1.20 with kustomize v2.0.3, which
  // deploy/k8s is written to render with (bases, no components).
  if (needKubectl && findKubectl() === null) missing.push('kubernetes-client');
  return missing;
}

/** Where Debian's chromium package puts the browser the console's e2e tests drive. */
export const CHROMIUM = '/usr/bin/chromium';

// nginx-light is the small build on Debian 12; newer releases dropped it for plain `nginx`.
function nginxPackageName() {
  const result = spawnSync('apt-cache', ['show', 'nginx-light'], { stdio: 'ignore' });
  return result.status === 0 ? 'nginx-light' : 'nginx';
}

const POLICY_RC_D = '/usr/sbin/policy-rc.d';

/**
 * Runs `install` with a policy-rc.d that answers 101 ("action forbidden"), so the packages' postinst
 * scripts do not start system-wide nginx/redis/postgresql services on the ports of a real machine.
 * A policy-rc.d that was already there (container images ship one) is put back afterwards.
 */
function withoutServiceStarts(install) {
  const backup = `${POLICY_RC_D}.logpipe-stack-backup`;
  const hadPolicy = existsSync(POLICY_RC_D);
  if (hadPolicy) renameSync(POLICY_RC_D, backup);
  writeFileSync(
    POLICY_RC_D,
    '#!/bin/sh\n# Written by logpipe tools/stack during apt-get install; removed afterwards.\nexit 101\n',
    {
      mode: 0o755,
    },
  );
  try {
    install();
  } finally {
    rmSync(POLICY_RC_D, { force: true });
    if (hadPolicy) renameSync(backup, POLICY_RC_D);
  }
}

export function ensureSystemPackages(needs) {
  installMissing(needs);
  // syslog-ng is fetched and unpacked, never installed (it conflicts with rsyslog as a package).
  if (needs.needSyslog) {
    try {
      ensureSyslogNg({ log: info });
    } catch (error) {
      throw new StackError(`syslog-ng for the syslog tests: ${error.message}`);
    }
  }
}

function installMissing(needs) {
  const missing = missingPackages(needs);
  if (missing.length === 0) return;
  const packages = missing.flatMap((name) =>
    name === 'nginx' ? ['nginx-light', 'libnginx-mod-stream'] : [name],
  );
  if (!isRoot()) {
    throw new StackError(
      `missing system packages: ${missing.join(', ')}`,
      `Install them, then run the stack again:\n  sudo apt-get install -y ${packages.join(' ')}\n` +
        '(on releases without nginx-light, install nginx instead)',
    );
  }
  if (!existsSync('/usr/bin/apt-get')) {
    throw new StackError(
      `missing ${missing.join(', ')} and no apt-get: install them with this system's package manager`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  withoutServiceStarts(() => {
    info(`installing ${missing.join(', ')} with apt-get`);
    run('apt-get', ['update'], { env });
    const resolved = missing.flatMap((name) =>
      name === 'nginx' ? [nginxPackageName(), 'libnginx-mod-stream'] : [name],
    );
    run('apt-get', ['install', '-y', '--no-install-recommends', ...resolved], { env });
  });
  const still = missingPackages(needs);
  if (still.length > 0) throw new StackError(`apt-get finished but ${still.join(', ')} is still missing`);
}
