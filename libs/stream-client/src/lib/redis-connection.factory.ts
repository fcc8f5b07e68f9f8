import { Logger } from '@nestjs/common';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ResolvedStreamClientOptions } from './stream-client.options';

/** One Redis, or a Redis Cluster: both speak the same commands; the cluster routes each by its key's slot. */
export type RedisClient = Redis | Cluster;

/** What a connection is used for; decides how it behaves while Redis is away. */
export type RedisConnectionRole = 'producer' | 'consumer' | 'consumer-blocking' | 'admin';

const MAX_RECONNECT_DELAY_MS = 2000;

/** Capped exponential backoff (100 ms, 200 ms, ... 2 s): retries forever, never hammers a dead server. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, Math.min(attempt - 1, 5)), MAX_RECONNECT_DELAY_MS);
}

export function redisOptionsFor(
  role: RedisConnectionRole,
  options: ResolvedStreamClientOptions,
): RedisOptions {
  const common: RedisOptions = {
    lazyConnect: true,
    retryStrategy: reconnectDelayMs,
    connectTimeout: Math.max(options.commandTimeoutMs, 2000),
    // How long a closing socket may linger before it is destroyed; when we close, we are done with it.
    disconnectTimeout: 200,
    // Fail fast instead of queueing: a command written while Redis is away would otherwise run
    // later, after its caller has already been told it failed (a 503'd log entry appearing anyway,
    // a dead-letter written twice). Callers wait for readiness themselves, bounded by the timeout.
    enableOfflineQueue: false,
    // Commands in flight when the socket drops fail at once (MaxRetriesPerRequestError) and are
    // never replayed on reconnect, for the same reason.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectionName: options.connectionName ? `${options.connectionName}-${role}` : undefined,
  };
  if (role === 'consumer-blocking') {
    // commandTimeout would cut every XREADGROUP BLOCK short; the blocking guard instead bounds each
    // read by its own BLOCK time plus a grace, so a hung server cannot park the worker forever.
    return {
      ...common,
      blockingTimeout: options.commandTimeoutMs,
      blockingTimeoutGrace: options.commandTimeoutMs,
    };
  }
  if (role === 'producer') {
    // Many concurrent single-entry requests each send one XADD: auto-pipelining writes the commands
    // issued in one event-loop tick as one socket write, instead of one syscall (and one Redis read)
    // per command.
    return { ...common, commandTimeout: options.commandTimeoutMs, enableAutoPipelining: true };
  }
  return { ...common, commandTimeout: options.commandTimeoutMs };
}

// While a master is down and its replica not yet promoted, a command to its slots is retried after
// this pause (with a slot refresh), at most MAX_REDIRECTIONS times: about half a second in all, so
// the retries end before commandTimeoutMs (1 s by default) has the caller answer 503. A retry that
// outlived its caller's answer could store an entry the client was told was refused.
const CLUSTER_RETRY_DELAY_MS = 100;
const MAX_REDIRECTIONS = 5;

/** Options of a Cluster client: cluster-wide behaviour here, each node's connection from redisOptionsFor. */
export function clusterOptionsFor(
  role: RedisConnectionRole,
  options: ResolvedStreamClientOptions,
): ClusterOptions {
  const { lazyConnect, enableOfflineQueue, retryStrategy, ...perNode } = redisOptionsFor(role, options);
  const url = new URL(options.redisUrl);
  return {
    lazyConnect,
    // The cluster-wide offline queue would hold commands while the slot map is being (re)loaded;
    // failing fast keeps the 503 prompt, for the reason redisOptionsFor gives.
    enableOfflineQueue,
    // Reconnect to the seeds forever, with the single Redis's backoff, when every node was lost.
    clusterRetryStrategy: (attempt) => (retryStrategy ? (retryStrategy(attempt) ?? null) : null),
    retryDelayOnFailover: CLUSTER_RETRY_DELAY_MS,
    retryDelayOnClusterDown: CLUSTER_RETRY_DELAY_MS,
    retryDelayOnTryAgain: CLUSTER_RETRY_DELAY_MS,
    maxRedirections: MAX_REDIRECTIONS,
    // A slot map that does not load within the command budget counts as an outage, not a hang.
    slotsRefreshTimeout: Math.max(options.commandTimeoutMs, 500),
    // Notices a promoted replica even when no command to its slots failed meanwhile.
    slotsRefreshInterval: 2000,
    // No auto-pipelining on a cluster: after a failover, a pipeline holding commands of several slots
    // came back with MOVED errors that ioredis does not retry (seen in the failover test), while a
    // single command is redirected.
    enableAutoPipelining: false,
    redisOptions: {
      ...perNode,
      enableAutoPipelining: false,
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      tls: url.protocol === 'rediss:' ? {} : undefined,
    },
  };
}

/**
 * Creates an unconnected client (it connects on first use) whose connection errors are logged once
 * per outage instead of once per reconnect attempt: a Cluster client when clusterNodes are given.
 */
export function createRedisConnection(
  role: RedisConnectionRole,
  options: ResolvedStreamClientOptions,
): RedisClient {
  const redis: RedisClient =
    options.clusterNodes.length > 0
      ? new Cluster(
          options.clusterNodes.map((node) => {
            const cut = node.lastIndexOf(':');
            return { host: node.slice(0, cut), port: Number(node.slice(cut + 1)) };
          }),
          clusterOptionsFor(role, options),
        )
      : new Redis(options.redisUrl, redisOptionsFor(role, options));
  const logger = new Logger(`StreamClient:${role}`);
  let outage = false;
  redis.on('error', (error: Error) => {
    if (!outage) {
      outage = true;
      logger.warn(`Redis connection problem, retrying in the background: ${error.message}`);
    }
  });
  redis.on('ready', () => {
    if (outage) {
      outage = false;
      logger.log('Redis connection restored');
    }
  });
  return redis;
}
