import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export const DEFAULT_STREAM_KEY = 'logs:stream';
export const DEFAULT_GROUP_NAME = 'log-workers';
export const DEFAULT_DEAD_LETTER_STREAM_KEY = 'logs:dead';
export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;

/** The single stream field that carries a message's opaque payload. */
export const STREAM_PAYLOAD_FIELD = 'data';

/** Injection token of the resolved (defaults applied, validated) options. */
export const STREAM_CLIENT_OPTIONS = Symbol('STREAM_CLIENT_OPTIONS');

export interface StreamClientOptions {
  /** e.g. redis://127.0.0.1:6379/0 */
  redisUrl: string;
  /** default 'logs:stream' */
  streamKey?: string;
  /** default 'log-workers' */
  groupName?: string;
  /** default 'logs:dead' */
  deadLetterStreamKey?: string;
  /** default `${hostname}-${pid}-${6 random hex}`, unique even for two workers on one host */
  consumerName?: string;
  /** default 1000: a command that gets no answer fails instead of hanging */
  commandTimeoutMs?: number;
  /** sent as CLIENT SETNAME (suffixed per connection role), e.g. 'logpipe-ingest' */
  connectionName?: string;
  /** Dead letters kept at most (oldest dropped first); default 0 = no count bound. */
  deadLetterMaxEntries?: number;
  /** Dead letters older than this (by their dead-letter stream id) are dropped; default 0 = no age bound. */
  deadLetterMaxAgeMs?: number;
}

export type ResolvedStreamClientOptions = Required<Omit<StreamClientOptions, 'connectionName'>> &
  Pick<StreamClientOptions, 'connectionName'>;

export function defaultConsumerName(): string {
  // The random part keeps names apart when PID namespaces (containers) reuse the same PID on one host name.
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Applies defaults and rejects options that would only fail later, with a message naming the option. */
export function resolveStreamClientOptions(options: StreamClientOptions): ResolvedStreamClientOptions {
  const resolved: ResolvedStreamClientOptions = {
    redisUrl: options.redisUrl,
    streamKey: options.streamKey ?? DEFAULT_STREAM_KEY,
    groupName: options.groupName ?? DEFAULT_GROUP_NAME,
    deadLetterStreamKey: options.deadLetterStreamKey ?? DEFAULT_DEAD_LETTER_STREAM_KEY,
    consumerName: options.consumerName ?? defaultConsumerName(),
    commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectionName: options.connectionName,
    deadLetterMaxEntries: options.deadLetterMaxEntries ?? 0,
    deadLetterMaxAgeMs: options.deadLetterMaxAgeMs ?? 0,
  };

  if (typeof resolved.redisUrl !== 'string' || !/^rediss?:\/\/.+/.test(resolved.redisUrl)) {
    throw new Error(
      `StreamClientOptions.redisUrl must be a redis:// or rediss:// URL, got ${JSON.stringify(options.redisUrl)}`,
    );
  }
  for (const name of ['streamKey', 'groupName', 'deadLetterStreamKey', 'consumerName'] as const) {
    if (typeof resolved[name] !== 'string' || resolved[name].length === 0) {
      throw new Error(`StreamClientOptions.${name} must be a non-empty string`);
    }
  }
  if (resolved.deadLetterStreamKey === resolved.streamKey) {
    throw new Error('StreamClientOptions.deadLetterStreamKey must differ from streamKey');
  }
  if (!Number.isInteger(resolved.commandTimeoutMs) || resolved.commandTimeoutMs <= 0) {
    throw new Error(
      `StreamClientOptions.commandTimeoutMs must be a positive integer, got ${options.commandTimeoutMs}`,
    );
  }
  for (const name of ['deadLetterMaxEntries', 'deadLetterMaxAgeMs'] as const) {
    if (!Number.isSafeInteger(resolved[name]) || resolved[name] < 0) {
      throw new Error(
        `StreamClientOptions.${name} must be an integer >= 0 (0: no bound), got ${options[name]}`,
      );
    }
  }
  // CLIENT SETNAME rejects spaces and newlines; failing here beats a connection that never becomes ready.
  if (resolved.connectionName !== undefined && !/^[\x21-\x7e]+$/.test(resolved.connectionName)) {
    throw new Error('StreamClientOptions.connectionName must be non-empty printable ASCII without spaces');
  }
  return resolved;
}
