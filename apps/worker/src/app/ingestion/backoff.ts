/** Capped exponential backoff with full jitter: spreads retries of many workers after an outage. */
export function backoffDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Resolves after `ms`, or at once when `signal` aborts (shutdown must not wait out a long backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The worker's one retry delay (Redis, PostgreSQL, a refused row, the consumer loop): backoffDelayMs from
 * RETRY_BASE_MS up to RETRY_MAX_MS.
 */
export function retryDelayMs(
  config: { get(key: 'RETRY_BASE_MS' | 'RETRY_MAX_MS', options: { infer: true }): number },
  attempt: number,
): number {
  return backoffDelayMs(
    attempt,
    config.get('RETRY_BASE_MS', { infer: true }),
    config.get('RETRY_MAX_MS', { infer: true }),
  );
}
