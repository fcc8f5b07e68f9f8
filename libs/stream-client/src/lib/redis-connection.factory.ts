import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import type { ResolvedStreamClientOptions } from './stream-client.options';

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

/**
 * Creates an unconnected client (it connects on first use) whose connection errors are logged once
 * per outage instead of once per reconnect attempt.
 */
export function createRedisConnection(
  role: RedisConnectionRole,
  options: ResolvedStreamClientOptions,
): Redis {
  const redis = new Redis(options.redisUrl, redisOptionsFor(role, options));
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
