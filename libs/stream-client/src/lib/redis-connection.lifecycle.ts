import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection.factory';
import { StreamUnavailableError, toStreamError } from './stream-unavailable.error';

// One pending "next ready" promise per client, shared by all callers waiting on it, so a burst of
// requests during an outage adds two listeners to the client rather than two per request.
const readiness = new WeakMap<RedisClient, Promise<void>>();

function nextReady(redis: RedisClient): Promise<void> {
  let ready = readiness.get(redis);
  if (!ready) {
    ready = new Promise<void>((resolve, reject) => {
      const settle = (error?: Error): void => {
        redis.off('ready', onReady);
        redis.off('end', onEnd);
        readiness.delete(redis);
        if (error) {
          reject(error);
        } else {
          resolve();
        }
      };
      const onReady = (): void => settle();
      const onEnd = (): void => settle(new StreamUnavailableError('Redis connection is closed'));
      redis.on('ready', onReady);
      redis.on('end', onEnd);
    });
    // Waiters that gave up earlier must not turn a later close into an unhandled rejection.
    ready.catch(() => undefined);
    readiness.set(redis, ready);
  }
  return ready;
}

/**
 * Resolves once the client is ready, starting a lazy connection if needed. Rejects with
 * StreamUnavailableError after `timeoutMs`, when the client was closed, or when `signal` aborts.
 */
export async function waitUntilReady(
  redis: RedisClient,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  if (redis.status === 'ready') {
    return;
  }
  if (redis.status === 'end') {
    throw new StreamUnavailableError('Redis connection is closed');
  }
  if (signal?.aborted) {
    throw new StreamUnavailableError('Stopped while waiting for Redis');
  }
  const ready = nextReady(redis);
  if (redis.status === 'wait') {
    // Errors surface through the 'error' event and the retry strategy; the wait below reports the outcome.
    redis.connect().catch(() => undefined);
  }
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new StreamUnavailableError(`Redis not ready within ${timeoutMs} ms (status ${redis.status})`),
            ),
          Math.max(0, timeoutMs),
        );
        onAbort = () => reject(new StreamUnavailableError('Stopped while waiting for Redis'));
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) {
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * QUIT lets Redis answer what is in flight; a server that does not answer in time is cut off. Resolves
 * once the connection has ended (or, for a socket that will not even close, shortly after giving up).
 */
export async function closeConnection(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'end') {
    return;
  }
  if (redis.status !== 'ready') {
    // No open socket to say goodbye on: this only cancels connecting or reconnecting.
    redis.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
  redis.quit().catch(() => undefined);
  if (await settlesWithin(ended, timeoutMs)) {
    return;
  }
  redis.disconnect();
  await settlesWithin(ended, FORCED_CLOSE_WAIT_MS);
}

const FORCED_CLOSE_WAIT_MS = 500;

async function settlesWithin(promise: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `command` once the client is ready and bounds the whole call (waiting for readiness included)
 * by `timeoutMs`, so a caller never waits longer than that. Connectivity, timeout, OOM and LOADING
 * failures become StreamUnavailableError. A command that times out may still run on the server later;
 * no timeout can prevent that, which is why consumers must tolerate redelivery.
 */
export async function runWhenReady<T>(
  redis: RedisClient,
  timeoutMs: number,
  operation: string,
  command: (redis: RedisClient) => Promise<T>,
): Promise<T> {
  if (redis.status === 'ready' && !(redis instanceof Cluster)) {
    // The common case, on the request path: the connection's own commandTimeout bounds the call,
    // so no extra timer and race per command. (A cluster retries a command on another node after a
    // failover or MOVED, each try with its own timeout: only the race below bounds the whole call.)
    try {
      return await command(redis);
    } catch (error) {
      throw toStreamError(error, operation);
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StreamUnavailableError(`Redis gave no answer to ${operation} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([waitUntilReady(redis, timeoutMs).then(() => command(redis)), deadline]);
  } catch (error) {
    throw toStreamError(error, operation);
  } finally {
    clearTimeout(timer);
  }
}
