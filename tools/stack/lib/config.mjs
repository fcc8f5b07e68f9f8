// Everything `up`, `down`, `status` and `render-nginx` derive from flags and the environment, resolved
// once: ports, state directory, which backing services are external, and the limits nginx shares with
// ingest.
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StackError } from './errors.mjs';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_PORT_BASE = 8088;

// Port offsets from the base. Kept in one table so `status`, the env file and the docs cannot disagree.
export const PORT_OFFSETS = Object.freeze({
  nginx: 0,
  'ingest-1': 1,
  'ingest-2': 2,
  worker: 3,
  redis: 4,
  postgres: 5,
  // Syslog: nginx's stream front (TCP and UDP on the same number), and each ingest's own listeners.
  syslog: 6,
  'ingest-1-syslog': 7,
  'ingest-2-syslog': 8,
});

const DEFAULT_LIMITS = Object.freeze({
  RATE_LIMIT_RPS: '2000',
  RATE_LIMIT_BURST: '4000',
  MAX_BODY_BYTES: '5242880',
  // Open live tails per client address at nginx (ingest has its own per-tenant and per-instance limits).
  TAIL_MAX_PER_IP: '20',
});

function positiveInteger(name, raw) {
  if (!/^[1-9][0-9]*$/.test(String(raw))) {
    throw new StackError(`${name} must be a positive integer, got "${raw}"`);
  }
  return Number(raw);
}

export function resolvePortBase(flagValue, env) {
  const raw = flagValue ?? env.LOGPIPE_PORT_BASE ?? String(DEFAULT_PORT_BASE);
  const base = positiveInteger(flagValue === undefined ? 'LOGPIPE_PORT_BASE' : '--port-base', raw);
  const last = base + Math.max(...Object.values(PORT_OFFSETS));
  if (base < 1024 || last > 65535) {
    throw new StackError(
      `port base ${base} is out of range: ports ${base}-${last} must lie within 1024-65535`,
    );
  }
  return base;
}

export function resolveStateDir(flagValue, env) {
  return resolve(flagValue ?? env.LOGPIPE_STACK_DIR ?? join(REPO_ROOT, '.stack'));
}

/** The nginx limits, from the environment or the documented defaults (nginx/README.md). */
export function resolveLimits(env) {
  const limits = {};
  for (const [name, fallback] of Object.entries(DEFAULT_LIMITS)) {
    const raw = env[name] === undefined || env[name] === '' ? fallback : env[name];
    limits[name] = String(positiveInteger(name, raw));
  }
  return limits;
}

export function portsFor(base) {
  return Object.fromEntries(Object.entries(PORT_OFFSETS).map(([name, offset]) => [name, base + offset]));
}

export function resolveConfig(flags, env = process.env) {
  const portBase = resolvePortBase(flags.portBase, env);
  return {
    repoRoot: REPO_ROOT,
    stateDir: resolveStateDir(flags.stateDir, env),
    portBase,
    ports: portsFor(portBase),
    // A REDIS_URL / DATABASE_URL in the environment means "use that server": the stack neither starts
    // nor stops it.
    external: {
      redisUrl: env.REDIS_URL || null,
      databaseUrl: env.DATABASE_URL || null,
    },
    limits: resolveLimits(env),
    timeoutMs: positiveInteger('--timeout', flags.timeout ?? '60') * 1000,
  };
}

/**
 * A directory under /tmp that belongs to one state dir, for what another OS user (postgres, nginx's
 * nobody) must reach when the state dir itself is not traversable, and for unix sockets whose path
 * would be too long. Derived from the state dir path so every run of the same stack finds it again.
 */
export function runtimeDirFor(stateDir) {
  const hash = createHash('sha256').update(stateDir).digest('hex').slice(0, 12);
  return join('/tmp', `logpipe-stack-${hash}`);
}
