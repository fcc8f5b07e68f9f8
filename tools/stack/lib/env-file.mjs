// <state dir>/env: the stack's addresses as KEY=value lines a shell can source
// (`set -a; . .stack/env; set +a`) and a test can read.
import { renameSync, writeFileSync } from 'node:fs';

const SAFE_VALUE = /^[A-Za-z0-9_@%+=:,./-]*$/;

/** Single quotes unless the value has no shell-special characters; a ' inside becomes '\''. */
export function shellQuote(value) {
  const text = String(value);
  return SAFE_VALUE.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

export function envFileEntries({ config, redisUrl, databaseUrl }) {
  const { ports } = config;
  return {
    NGINX_URL: `http://127.0.0.1:${ports.nginx}`,
    INGEST_1_URL: `http://127.0.0.1:${ports['ingest-1']}`,
    INGEST_2_URL: `http://127.0.0.1:${ports['ingest-2']}`,
    // Syslog over TCP and UDP through nginx's stream front (docs/protocols/syslog.md).
    SYSLOG_ADDR: `127.0.0.1:${ports.syslog}`,
    WORKER_HEALTH_URL: `http://127.0.0.1:${ports.worker}`,
    REDIS_URL: redisUrl,
    DATABASE_URL: databaseUrl,
    LOGPIPE_STACK_DIR: config.stateDir,
  };
}

export function writeEnvFile(file, entries) {
  const lines = [
    '# Written by tools/stack (npm run stack). Source it: set -a; . ./.stack/env; set +a',
    ...Object.entries(entries).map(([key, value]) => `${key}=${shellQuote(value)}`),
  ];
  writeFileSync(`${file}.tmp`, `${lines.join('\n')}\n`);
  renameSync(`${file}.tmp`, file);
}
