#!/usr/bin/env node
// The one-command local stack: `npm run stack` (up), `npm run stack:down`, `npm run stack:status`.
// Plain Node ESM with no npm dependencies, so it runs on a fresh clone before `npm ci`.
// tools/stack/README.md describes what it starts and where it keeps its state.
import { down } from './commands/down.mjs';
import { renderNginx } from './commands/render-nginx.mjs';
import { status } from './commands/status.mjs';
import { up } from './commands/up.mjs';
import { StackError } from './lib/errors.mjs';

const USAGE = `usage: node tools/stack/cli.mjs <command> [options]

commands:
  up             install what is missing, build, start everything, wait until healthy (default)
  down           stop what the state dir's pid files name; data is kept
  status         print each process (running/dead, pid, health, URL); exit 1 if anything is down
  render-nginx   render the stack's nginx config into --out DIR (an nginx prefix) and print its path

options:
  --detach           up: return once healthy and leave the processes running
  --port-base N      nginx on N, ingest-1 N+1, ingest-2 N+2, worker health N+3, redis N+4,
                     postgres N+5 (default: LOGPIPE_PORT_BASE or 8088)
  --state-dir DIR    state directory (default: LOGPIPE_STACK_DIR or <repo>/.stack)
  --timeout S        up: seconds to wait for each phase to become healthy (default 60)
  --skip-install     up: do not run npm ci / apt-get even if something looks missing
  --skip-build       up: use the bundles already in dist/apps instead of running the Nx build
  --purge            down: also delete the data (PostgreSQL cluster, Redis AOF), logs and config
  --json             status: machine-readable output
  --out DIR          render-nginx: where to render

environment: REDIS_URL / DATABASE_URL (use that server instead of starting one),
  RATE_LIMIT_RPS, RATE_LIMIT_BURST, MAX_BODY_BYTES, TAIL_MAX_PER_IP (nginx limits, see nginx/README.md),
  LOG_LEVEL and the apps' other variables (passed through to ingest and worker).
`;

const BOOLEAN_FLAGS = {
  '--detach': 'detach',
  '--skip-install': 'skipInstall',
  '--skip-build': 'skipBuild',
  '--purge': 'purge',
  '--json': 'json',
};
const VALUE_FLAGS = {
  '--port-base': 'portBase',
  '--state-dir': 'stateDir',
  '--timeout': 'timeout',
  '--out': 'out',
};
const COMMANDS = { up, down, status, 'render-nginx': renderNginx };

function parseArgs(argv) {
  const flags = {};
  let command;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const [name, inlineValue] = arg.startsWith('--') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (name === '--help' || name === '-h') {
      flags.help = true;
    } else if (Object.hasOwn(BOOLEAN_FLAGS, name)) {
      flags[BOOLEAN_FLAGS[name]] = true;
    } else if (Object.hasOwn(VALUE_FLAGS, name)) {
      const value = inlineValue ?? argv[(i += 1)];
      if (value === undefined) throw new StackError(`${name} needs a value`);
      flags[VALUE_FLAGS[name]] = value;
    } else if (!arg.startsWith('-') && command === undefined) {
      command = arg;
    } else {
      throw new StackError(`unknown argument "${arg}"`, USAGE);
    }
  }
  return { command: command ?? 'up', flags };
}

async function main() {
  const { command, flags } = parseArgs(process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!Object.hasOwn(COMMANDS, command)) throw new StackError(`unknown command "${command}"`, USAGE);
  return COMMANDS[command](flags);
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof StackError) {
      process.stderr.write(`[stack] error: ${error.message}\n${error.details ? `${error.details}\n` : ''}`);
    } else {
      process.stderr.write(`[stack] unexpected error: ${error?.stack ?? error}\n`);
    }
    process.exit(1);
  },
);
