import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export const DEFAULT_STREAM_KEY = 'logs:stream';
export const DEFAULT_GROUP_NAME = 'log-workers';
export const DEFAULT_DEAD_LETTER_STREAM_KEY = 'logs:dead';
export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
/** More shards than this buys nothing on a cluster of sane size and makes every sweep longer. */
export const MAX_STREAM_SHARDS = 64;

/** The single stream field that carries a message's opaque payload. */
export const STREAM_PAYLOAD_FIELD = 'data';
/** StreamClientOptions.compressMinBytes' default (stream-value-compression.ts says why). */
export const DEFAULT_COMPRESS_MIN_BYTES = 16 * 1024;

/** Injection token of the resolved (defaults applied, validated) options. */
export const STREAM_CLIENT_OPTIONS = Symbol('STREAM_CLIENT_OPTIONS');

export interface StreamClientOptions {
  /** e.g. redis://127.0.0.1:6379/0; with clusterNodes, only its credentials and TLS are used. */
  redisUrl: string;
  /**
   * Seed nodes ("host:port") of a Redis Cluster: when given, ioredis' Cluster client is used instead
   * of one connection to redisUrl. Default [] (a single Redis).
   */
  clusterNodes?: readonly string[];
  /** Streams the log stream is split over (see stream-shards.ts); default 1. */
  shardCount?: number;
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
  /**
   * Replicas that must confirm an append (WAIT n, within half of commandTimeoutMs) before it counts as
   * done; default 0 = Redis' asynchronous replication. See README "Redis Cluster".
   */
  waitReplicas?: number;
  /**
   * Appended values (chunks) of at least this many bytes are stored compressed (snappy, under
   * SNAPPY_PAYLOAD_FIELD); default DEFAULT_COMPRESS_MIN_BYTES (16 KiB), 0 = never. Readers of this
   * version take both forms whatever it is set to. See stream-value-compression.ts.
   */
  compressMinBytes?: number;
}

export type ResolvedStreamClientOptions = Required<Omit<StreamClientOptions, 'connectionName'>> &
  Pick<StreamClientOptions, 'connectionName'>;

const CLUSTER_NODE = /^[\w.[\]:-]+:\d{1,5}$/;

/** A whole REDIS_CLUSTER_NODES value (empty items allowed), for the apps' config validation. */
export const CLUSTER_NODES_PATTERN = /^\s*([\w.[\]:-]+:\d{1,5})?\s*(,\s*([\w.[\]:-]+:\d{1,5})?\s*)*$/;

/**
 * REDIS_CLUSTER_NODES: comma-separated host:port seeds, blanks ignored; [] when unset. Throws with a
 * message naming the setting for anything else, so a typo stops the process at start.
 */
export function parseClusterNodes(value: string | undefined, setting = 'REDIS_CLUSTER_NODES'): string[] {
  const nodes = (value ?? '')
    .split(',')
    .map((node) => node.trim())
    .filter((node) => node.length > 0);
  for (const node of nodes) {
    if (!CLUSTER_NODE.test(node)) {
      throw new Error(`${setting} must be comma-separated host:port pairs, got ${JSON.stringify(node)}`);
    }
  }
  return nodes;
}

export function defaultConsumerName(): string {
  // The random part keeps names apart when PID namespaces (containers) reuse the same PID on one host name.
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Applies defaults and rejects options that would only fail later, with a message naming the option. */
export function resolveStreamClientOptions(options: StreamClientOptions): ResolvedStreamClientOptions {
  const resolved: ResolvedStreamClientOptions = {
    redisUrl: options.redisUrl,
    clusterNodes: [...(options.clusterNodes ?? [])],
    shardCount: options.shardCount ?? 1,
    streamKey: options.streamKey ?? DEFAULT_STREAM_KEY,
    groupName: options.groupName ?? DEFAULT_GROUP_NAME,
    deadLetterStreamKey: options.deadLetterStreamKey ?? DEFAULT_DEAD_LETTER_STREAM_KEY,
    consumerName: options.consumerName ?? defaultConsumerName(),
    commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectionName: options.connectionName,
    deadLetterMaxEntries: options.deadLetterMaxEntries ?? 0,
    deadLetterMaxAgeMs: options.deadLetterMaxAgeMs ?? 0,
    waitReplicas: options.waitReplicas ?? 0,
    compressMinBytes: options.compressMinBytes ?? DEFAULT_COMPRESS_MIN_BYTES,
  };

  if (typeof resolved.redisUrl !== 'string' || !/^rediss?:\/\/.+/.test(resolved.redisUrl)) {
    throw new Error(
      `StreamClientOptions.redisUrl must be a redis:// or rediss:// URL, got ${JSON.stringify(options.redisUrl)}`,
    );
  }
  parseClusterNodes(resolved.clusterNodes.join(','), 'StreamClientOptions.clusterNodes');
  if (
    !Number.isInteger(resolved.shardCount) ||
    resolved.shardCount < 1 ||
    resolved.shardCount > MAX_STREAM_SHARDS
  ) {
    throw new Error(
      `StreamClientOptions.shardCount must be an integer from 1 to ${MAX_STREAM_SHARDS}, got ${options.shardCount}`,
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
  for (const name of [
    'deadLetterMaxEntries',
    'deadLetterMaxAgeMs',
    'waitReplicas',
    'compressMinBytes',
  ] as const) {
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
