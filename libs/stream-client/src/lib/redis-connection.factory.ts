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

// While a slot's owner is changing (CLUSTERDOWN, TRYAGAIN), a command to it is retried after this
// pause, at most MAX_REDIRECTIONS times: about half a second in all, so the retries end before
// commandTimeoutMs (1 s by default) has the caller answer 503. Those answers mean the command did not
// run; a retry that outlived its caller's answer could otherwise store an entry the client was told
// was refused.
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
    // A node connection that closed under a command ("Connection is closed") is NOT retried: the
    // command may have run before the socket dropped (an append script, a dead-letter MULTI), and a
    // second run would store it twice. The caller answers 503 and the client resends (review finding).
    retryDelayOnFailover: 0,
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
      // ioredis gives every node connection an offline queue whatever is passed here, and flushes it
      // on 'ready' without looking at whether a queued command was already timed out and answered 503.
      // So a node must never sit in 'connecting' longer than a command may wait: a short connect
      // timeout, and no ready check (a node loading its AOF answers -LOADING at once, a 503, instead
      // of holding commands until it is done and then running them behind their callers' backs).
      connectTimeout: Math.max(100, Math.floor(options.commandTimeoutMs / 2)),
      enableReadyCheck: false,
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
