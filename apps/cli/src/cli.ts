import { validateEnvironment } from '@logpipe/app-runtime';
import {
  DEAD_LETTER_ID_PATTERN,
  DeadLetters,
  parseClusterNodes,
  resolveStreamClientOptions,
  type DeadLetterSelector,
} from '@logpipe/stream-client';
import { parseArgs } from 'node:util';
import { CliConfig } from './cli.config';
import {
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetters,
  showDeadLetter,
  type Output,
} from './dead/dead-letter.commands';

export const USAGE = `usage: logpipe <command> [options]      (npm run logpipe -- <command>, or npx logpipe)

commands:
  dead list [--reason R] [--limit N] [--after ID]   counts by reason, then the oldest dead letters
  dead show <id>                                    one dead letter in full
  dead replay <id...> | --all | --reason R [--keep] re-validate and queue again on the log stream
  dead purge <id...> | --all | --reason R           delete for good

options:
  --json      machine-readable output
  --reason R  the reason, or its beginning ("undecodable" matches "undecodable: not valid JSON")
  --keep      replay: leave the dead letters in place (a replayed entry keeps its event id, so
              replaying it again still stores it once)

environment: REDIS_URL, REDIS_CLUSTER_NODES, STREAM_SHARDS, STREAM_KEY, DEAD_LETTER_STREAM (as the worker's), REDIS_COMMAND_TIMEOUT_MS.
exit status: 0 done, 1 failed or something skipped, 2 usage error.
`;

/** A mistake in the command line: printed with the usage, exit 2. */
export class UsageError extends Error {}

const STREAM_ID = DEAD_LETTER_ID_PATTERN;

interface Parsed {
  command: string[];
  all: boolean;
  keep: boolean;
  json: boolean;
  help: boolean;
  reason?: string;
  limit: number;
  after?: string;
}

function parse(argv: readonly string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        all: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        reason: { type: 'string' },
        limit: { type: 'string' },
        after: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10000)
    throw new UsageError('--limit must be 1 to 10000');
  if (values.after !== undefined && !STREAM_ID.test(values.after)) {
    throw new UsageError('--after must be a dead-letter id like 1764460800000-0');
  }
  if (values.reason === '') throw new UsageError('--reason needs a value');
  return {
    command: positionals,
    all: values.all ?? false,
    keep: values.keep ?? false,
    json: values.json ?? false,
    help: values.help ?? false,
    reason: values.reason,
    limit,
    after: values.after,
  };
}

/** ids, --all or --reason: exactly one. */
function selectorOf(ids: string[], parsed: Parsed): DeadLetterSelector {
  const given = [ids.length > 0, parsed.all, parsed.reason !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UsageError('name the dead letters: ids, --all or --reason R (one of them)');
  const bad = ids.find((id) => !STREAM_ID.test(id));
  if (bad !== undefined) throw new UsageError(`"${bad}" is not a dead-letter id (like 1764460800000-0)`);
  if (ids.length > 0) return { ids };
  return parsed.all ? { all: true } : { reason: parsed.reason as string };
}

/** Runs one command line; resolves the exit status. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv, io: Output): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`logpipe: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [group, action, ...rest] = parsed.command;
  if (parsed.help || group === undefined || group === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (group !== 'dead' || !['list', 'show', 'replay', 'purge'].includes(action ?? '')) {
    io.err(`logpipe: unknown command "${parsed.command.join(' ')}"\n\n${USAGE}`);
    return 2;
  }
  let work: (deadLetters: DeadLetters) => Promise<number>;
  try {
    work = commandFor(action as string, rest, parsed, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`logpipe: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  const config = validateEnvironment(CliConfig)(env);
  const deadLetters = new DeadLetters(
    resolveStreamClientOptions({
      redisUrl: config.REDIS_URL,
      clusterNodes: parseClusterNodes(config.REDIS_CLUSTER_NODES),
      shardCount: config.STREAM_SHARDS,
      streamKey: config.STREAM_KEY,
      groupName: config.STREAM_GROUP,
      deadLetterStreamKey: config.DEAD_LETTER_STREAM,
      commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
      connectionName: 'logpipe-cli',
    }),
  );
  try {
    return await work(deadLetters);
  } finally {
    await deadLetters.onApplicationShutdown();
  }
}

function commandFor(action: string, rest: string[], parsed: Parsed, io: Output) {
  switch (action) {
    case 'list':
      if (rest.length > 0) throw new UsageError('dead list takes no ids');
      return (d: DeadLetters) =>
        listDeadLetters(
          d,
          { limit: parsed.limit, after: parsed.after, reason: parsed.reason, json: parsed.json },
          io,
        );
    case 'show':
      if (rest.length !== 1) throw new UsageError('dead show takes one id');
      return (d: DeadLetters) => showDeadLetter(d, rest[0], parsed.json, io);
    case 'replay': {
      const selector = selectorOf(rest, parsed);
      return (d: DeadLetters) => replayDeadLetters(d, selector, { keep: parsed.keep, json: parsed.json }, io);
    }
    default: {
      const selector = selectorOf(rest, parsed);
      return (d: DeadLetters) => purgeDeadLetters(d, selector, parsed.json, io);
    }
  }
}
