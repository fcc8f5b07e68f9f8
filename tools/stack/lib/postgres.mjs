// The stack's private PostgreSQL cluster: initdb into the state dir, its own port, listening on
// 127.0.0.1 only, unix socket in its own directory, database `logpipe`.
//
// Authentication is `trust` for every local connection. That is fine for a development stack bound to
// 127.0.0.1 on a developer's machine, and nowhere else (docker-compose.yml uses a password).
//
// PostgreSQL refuses to run as root. When the stack runs as root, initdb, postgres and pg_ctl run as
// the `postgres` OS user, which must reach the cluster directory; if it cannot traverse the state dir
// (a checkout under /root, say), the cluster lives under /tmp/logpipe-stack-<hash>/ and data/postgres
// is a symlink to it.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { findPostgresBinDir } from './binaries.mjs';
import { runtimeDirFor } from './config.mjs';
import { StackError } from './errors.mjs';
import { canTraverse, ensureRuntimeDir, isRoot, lookupUser, makeOwnedDir } from './os-users.mjs';
import { probeTcpPort } from './health.mjs';
import { isAlive, stopProcess, waitForExit } from './processes.mjs';

export const DATABASE_NAME = 'logpipe';
const SUPERUSER = 'postgres';
// sun_path holds 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH = 107;

/**
 * The roles the stack's apps connect as (docs/operations.md, "Database roles"): migrations as the owner,
 * the worker as the writer, ingest's query API as the reader. They have no passwords: the cluster
 * trusts local connections. DATABASE_URL in .stack/env stays the superuser's, for tools and tests.
 */
export const APP_ROLES = { owner: 'logpipe_owner', writer: 'logpipe_writer', reader: 'logpipe_reader' };

export function databaseUrlFor(port, role = SUPERUSER) {
  return `postgres://${role}@127.0.0.1:${port}/${DATABASE_NAME}`;
}

/**
 * Where the cluster and its socket live, and which OS user owns them (null: the current user).
 * Decided once per state dir: an existing data/postgres (directory or symlink) is kept as it is.
 */
export function resolvePostgresPaths({ config, layout }) {
  const owner = isRoot() ? lookupUser('postgres') : null;
  const inState = join(layout.data, 'postgres');
  const runtime = join(runtimeDirFor(config.stateDir), 'postgres');
  let root;
  if (isDanglingSymlink(inState)) {
    // /tmp was cleared (a reboot): the cluster is gone, so recreate its directory and initdb again.
    const target = readlinkSync(inState);
    ensureRuntimeDir(dirname(target));
    makeOwnedDir(target, owner, 0o700);
  }
  if (existsSync(inState)) {
    root = realpathSync(inState);
  } else if (owner !== null && !canTraverse(owner.name, layout.data)) {
    ensureRuntimeDir(runtimeDirFor(config.stateDir));
    makeOwnedDir(runtime, owner, 0o700);
    symlinkSync(runtime, inState);
    root = runtime;
  } else {
    root = inState;
  }
  let socketDir = join(root, 'socket');
  if (`${socketDir}/.s.PGSQL.${config.ports.postgres}`.length > MAX_SOCKET_PATH) {
    socketDir = join(ensureRuntimeDir(runtimeDirFor(config.stateDir)), 'pg-socket');
  }
  return { root, pgdata: join(root, 'pgdata'), socketDir, owner };
}

function isDanglingSymlink(path) {
  try {
    return lstatSync(path).isSymbolicLink() && !existsSync(path);
  } catch {
    return false;
  }
}

function asOwner(owner) {
  return owner === null ? {} : { uid: owner.uid, gid: owner.gid };
}

function requireBinDir(pgdata) {
  const binDir = findPostgresBinDir(pgdata);
  if (binDir === null)
    throw new StackError('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin');
  return binDir;
}

/**
 * Text sorted and compared in byte order (collation C: B-tree comparisons are memcmp), and characters
 * classified and case-folded as Unicode (ctype C.UTF-8, which glibc always has): `q=` is an ILIKE, and
 * under ctype C `lower()` folds ASCII only, so 'MÜLLER' was not found by 'müller' here while it was
 * on a server with a UTF-8 locale. The Unicode case folding costs the write path ~2 µs of PostgreSQL
 * CPU per row (docs/store.md, "Locale"). libs/e2e-support's private clusters use the same.
 */
const INITDB_LOCALE = ['--locale=C', '--lc-ctype=C.UTF-8'];

/** initdb once; a data dir without PG_VERSION is a failed earlier initdb and is started over. */
function initCluster({ paths, logFile, env }) {
  const { root, pgdata, socketDir, owner } = paths;
  makeOwnedDir(root, owner, 0o700);
  makeOwnedDir(socketDir, owner, 0o700);
  if (existsSync(join(pgdata, 'PG_VERSION'))) return;
  if (existsSync(pgdata)) rmSync(pgdata, { recursive: true, force: true });
  const binDir = requireBinDir();
  const log = openSync(logFile, 'a');
  try {
    const result = spawnSync(
      join(binDir, 'initdb'),
      ['-D', pgdata, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', ...INITDB_LOCALE],
      // cwd inside the cluster root: initdb fails when it cannot stat the caller's working directory.
      { cwd: root, env, stdio: ['ignore', log, log], ...asOwner(owner) },
    );
    if (result.status !== 0) throw new StackError(`initdb failed (exit ${result.status})`);
  } finally {
    closeSync(log);
  }
}

/**
 * deploy/postgres/logpipe.conf as `name=value` settings, for `postgres -c` (docker-compose.yml passes the
 * same ones). Comments and blank lines are left out; the value is everything after the first `=`.
 */
export function storeSettings(repoRoot, file = join(repoRoot, 'deploy', 'postgres', 'logpipe.conf')) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '')
    .map((line) => {
      const match = /^([a-z_]+)\s*=\s*(\S.*)$/.exec(line);
      if (match === null) throw new StackError(`${file}: not a "name = value" setting: ${line}`);
      return `${match[1]}=${match[2].replace(/^'(.*)'$/, '$1')}`;
    });
}

function runPgTool(binDir, tool, args, options = {}) {
  return new Promise((resolveRun) => {
    const child = spawn(join(binDir, tool), args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', (error) => resolveRun({ status: -1, output: error.message }));
    child.once('close', (status) => resolveRun({ status, output: output.trim() }));
  });
}

/** `paths`: from resolvePostgresPaths() when starting, from stack.json when inspecting or stopping. */
export function postgresService({ config, layout, identityMarker, baseEnv, paths }) {
  const port = config.ports.postgres;
  const { pgdata, socketDir, owner, root } = paths;
  const logFile = layout.logFile('postgres');
  return {
    name: 'postgres',
    port,
    url: databaseUrlFor(port),
    paths,
    identity: { cmdline: ['postgres', pgdata], marker: identityMarker('postgres') },
    prepare() {
      initCluster({ paths, logFile, env: baseEnv('postgres') });
    },
    spawnSpec() {
      // postgres itself rather than `pg_ctl start`: it stays in the foreground, so its PID is the one
      // spawned and its output goes to logs/postgres.log through the descriptor the stack opened
      // (the postgres user may not be able to open that path itself).
      return {
        command: join(requireBinDir(pgdata), 'postgres'),
        args: [
          ...['-D', pgdata, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses=127.0.0.1'],
          ...storeSettings(config.repoRoot).flatMap((setting) => ['-c', setting]),
        ],
        env: baseEnv('postgres'),
        cwd: root,
        ...asOwner(owner),
      };
    },
    async probe() {
      const result = await runPgTool(requireBinDir(pgdata), 'pg_isready', [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-t',
        '2',
      ]);
      return { ok: result.status === 0, detail: `pg_isready: ${result.output}` };
    },
    async stop(pid) {
      return stopPostgres({ pid, pgdata, owner });
    },
    ensureDatabase: async () => {
      await ensureDatabase(requireBinDir(pgdata), port);
      await ensureRoles(requireBinDir(pgdata), port, config.repoRoot);
    },
  };
}

/**
 * pg_ctl stop -m fast (as the cluster's owner), then SIGINT (also a fast shutdown) if pg_ctl could not.
 * Resolves with what stopped it, or null if the postmaster is still there.
 */
export async function stopPostgres({ pid, pgdata, owner }) {
  if (!isAlive(pid)) return 'already gone';
  const binDir = findPostgresBinDir(pgdata);
  if (binDir !== null && existsSync(pgdata) && lstatSync(pgdata).isDirectory()) {
    await runPgTool(binDir, 'pg_ctl', ['stop', '-D', pgdata, '-m', 'fast', '-w', '-t', '60'], {
      cwd: '/',
      ...asOwner(owner),
    });
    if (await waitForExit(pid, 5000)) return 'pg_ctl stop -m fast';
  }
  return stopProcess(pid, [
    ['SIGINT', 60000],
    ['SIGKILL', 5000],
  ]);
}

async function ensureDatabase(binDir, port) {
  const connection = ['-h', '127.0.0.1', '-p', String(port), '-U', SUPERUSER];
  const exists = await runPgTool(binDir, 'psql', [
    ...connection,
    '-d',
    'postgres',
    '-tAc',
    `SELECT 1 FROM pg_database WHERE datname = '${DATABASE_NAME}'`,
  ]);
  if (exists.status !== 0) throw new StackError(`could not query PostgreSQL on port ${port}`, exists.output);
  if (exists.output === '1') return;
  const created = await runPgTool(binDir, 'createdb', [...connection, DATABASE_NAME]);
  if (created.status !== 0) throw new StackError(`createdb ${DATABASE_NAME} failed`, created.output);
}

/**
 * deploy/postgres/create-roles.sql (the same script compose and systemd use) with the stack's role names
 * and no passwords. A database from before the roles existed has `logs` owned by the superuser: it is
 * handed to the owner role, so its migrations can go on altering it.
 */
async function ensureRoles(binDir, port, repoRoot) {
  const connection = ['-h', '127.0.0.1', '-p', String(port), '-U', SUPERUSER, '-d', DATABASE_NAME];
  const variables = Object.entries(APP_ROLES).flatMap(([name, role]) => [
    '-v',
    `${name}_role=${role}`,
    '-v',
    `${name}_password=`,
  ]);
  const created = await runPgTool(binDir, 'psql', [
    ...connection,
    '-v',
    'ON_ERROR_STOP=1',
    ...variables,
    '-f',
    join(repoRoot, 'deploy', 'postgres', 'create-roles.sql'),
  ]);
  if (created.status !== 0) throw new StackError('creating the database roles failed', created.output);
  const adopted = await runPgTool(binDir, 'psql', [
    ...connection,
    '-v',
    'ON_ERROR_STOP=1',
    '-c',
    `ALTER TABLE IF EXISTS public.logs OWNER TO ${APP_ROLES.owner}`,
    '-c',
    `ALTER TABLE IF EXISTS public.logpipe_migrations OWNER TO ${APP_ROLES.owner}`,
  ]);
  if (adopted.status !== 0)
    throw new StackError('handing the tables to the owner role failed', adopted.output);
}

/** An external PostgreSQL (DATABASE_URL set): probed, never started, stopped or created. */
export function externalPostgres(url) {
  const parsed = new URL(url);
  return {
    name: 'postgres',
    external: true,
    url,
    probe: () => probeTcpPort(parsed.hostname, Number(parsed.port || 5432)),
  };
}
