import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { COMPOSE_FILE, ENV_EXAMPLE, REPO_ROOT, STACK_POSTGRES_MODULE } from './repo-paths';

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  networks?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  stop_grace_period?: string;
  tmpfs?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean } | null>;
  volumes: Record<string, unknown>;
}

export function composeText(): string {
  return readFileSync(COMPOSE_FILE, 'utf8');
}

/** docker-compose.yml as Compose sees it: YAML merge keys (<<) applied. */
export function loadCompose(): ComposeFile {
  return parse(composeText(), { merge: true }) as ComposeFile;
}

/** KEY=value lines of .env.example (comments and blank lines skipped). */
export function loadEnvExample(): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const line of readFileSync(ENV_EXAMPLE, 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) entries[match[1]] = match[2];
  }
  return entries;
}

/**
 * deploy/postgres/logpipe.conf's settings as [name, value] pairs, in file order, read by the stack's own
 * reader (tools/stack/lib/postgres.mjs storeSettings: what `npm run stack` passes as `-c name=value`), so
 * the compose file and the stack are checked against one reading of the file.
 */
export function loadStoreSettings(): [name: string, value: string][] {
  const read = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      'const m = await import(process.argv[1]); process.stdout.write(JSON.stringify(m.storeSettings(process.argv[2])));',
      STACK_POSTGRES_MODULE,
      REPO_ROOT,
    ],
    { encoding: 'utf8' },
  );
  if (read.status !== 0) throw new Error(`reading deploy/postgres/logpipe.conf failed: ${read.stderr}`);
  return (JSON.parse(read.stdout) as string[]).map((setting) => {
    const equals = setting.indexOf('=');
    return [setting.slice(0, equals), setting.slice(equals + 1)];
  });
}

// ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}; $$ is a literal $.
const COMPOSE_VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

/** Names of every variable the file interpolates (ignoring $$-escaped ones). */
export function composeVariableNames(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(COMPOSE_VARIABLE)) {
    if (match[1] !== undefined) names.add(match[1]);
  }
  return [...names].sort();
}

/** Compose's interpolation of one value, given the variables a .env would provide. */
export function interpolate(value: string, variables: Record<string, string>): string {
  return value.replace(
    COMPOSE_VARIABLE,
    (whole, name: string | undefined, operator?: string, argument?: string) => {
      if (name === undefined) return '$';
      const value = variables[name];
      const unsetOrEmpty = value === undefined || value === '';
      switch (operator) {
        case ':-':
          return unsetOrEmpty ? (argument ?? '') : value;
        case '-':
          return value === undefined ? (argument ?? '') : value;
        case ':?':
          if (unsetOrEmpty) throw new Error(`${name}: ${argument}`);
          return value;
        case '?':
          if (value === undefined) throw new Error(`${name}: ${argument}`);
          return value;
        default:
          return value ?? '';
      }
    },
  );
}
