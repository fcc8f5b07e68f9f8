import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { COMPOSE_FILE, ENV_EXAMPLE, POSTGRES_STORE_SETTINGS } from './repo-paths';

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
 * deploy/postgres/logpipe.conf's `name = value` lines (the settings tools/stack and docker-compose.yml
 * give PostgreSQL), in file order; comments and blank lines skipped.
 */
export function loadStoreSettings(): [name: string, value: string][] {
  return readFileSync(POSTGRES_STORE_SETTINGS, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '')
    .map((line) => {
      const match = /^([a-z_]+)\s*=\s*(\S.*)$/.exec(line);
      if (match === null) throw new Error(`${POSTGRES_STORE_SETTINGS}: not a setting: ${line}`);
      return [match[1], match[2]];
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
