// Locating nginx, redis-server and the PostgreSQL server binaries as Debian/Ubuntu install them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

export function findNginx() {
  return onPath('nginx');
}

/** kubectl for the manifest tests (apps/k8s-manifests); its embedded kustomize renders deploy/k8s. */
export function findKubectl() {
  return onPath('kubectl');
}

export function findRedisServer() {
  return onPath('redis-server');
}

const PG_ROOT = '/usr/lib/postgresql';
const PG_TOOLS = ['initdb', 'postgres', 'pg_ctl', 'pg_isready', 'psql', 'createdb'];

/**
 * The bin dir of the PostgreSQL major that owns `pgdata` when it exists (a cluster only runs on its
 * own major), else the newest installed one. Null when none has all the tools the stack uses.
 */
export function findPostgresBinDir(pgdata) {
  const complete = (dir) => PG_TOOLS.every((tool) => existsSync(join(dir, tool)));
  if (pgdata !== undefined && existsSync(join(pgdata, 'PG_VERSION'))) {
    const major = readFileSync(join(pgdata, 'PG_VERSION'), 'utf8').trim();
    const dir = join(PG_ROOT, major, 'bin');
    if (complete(dir)) return dir;
  }
  if (!existsSync(PG_ROOT)) return null;
  const majors = readdirSync(PG_ROOT)
    .filter((name) => /^[0-9]+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const dir = join(PG_ROOT, major, 'bin');
    if (complete(dir)) return dir;
  }
  return null;
}

/** nginx's version and `nginx -V` build flags (to know which options and modules it has). */
export function nginxBuildInfo(nginx) {
  const result = spawnSync(nginx, ['-V'], { encoding: 'utf8' });
  const text = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const match = /nginx\/([0-9]+)\.([0-9]+)\.([0-9]+)/.exec(text);
  const version = match ? match.slice(1, 4).map(Number) : [0, 0, 0];
  return { version, flags: text };
}

export function versionAtLeast(version, minimum) {
  for (let i = 0; i < minimum.length; i += 1) {
    if (version[i] !== minimum[i]) return version[i] > minimum[i];
  }
  return true;
}

const DEBIAN_MODULES_PATH = '/usr/lib/nginx/modules';

/**
 * How this nginx gets the stream module (the syslog front): `{ builtIn: true }`, `{ path }` of the
 * dynamic module to load_module (Debian's libnginx-mod-stream), or null when it has none.
 */
export function nginxStreamModule(buildFlags) {
  if (/--with-stream(\s|$)/.test(buildFlags)) return { builtIn: true };
  if (!buildFlags.includes('--with-stream=dynamic')) return null;
  const flagged = /--modules-path=(\S+)/.exec(buildFlags);
  for (const dir of [flagged?.[1], DEBIAN_MODULES_PATH].filter(Boolean)) {
    const path = join(dir, 'ngx_stream_module.so');
    if (existsSync(path)) return { path };
  }
  return null;
}
