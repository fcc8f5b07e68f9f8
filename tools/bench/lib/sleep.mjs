// One place for timing helpers so every wait in the bench has a deadline.
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Seconds since an arbitrary origin, monotonic (performance.now based). */
export function nowSeconds() {
  return performance.now() / 1000;
}

/**
 * Calls `check` every `intervalMs` until it returns a truthy value or `timeoutMs` passes. Resolves
 * with { value, timedOut }; never throws for the timeout, so the caller can report what it saw.
 */
export async function pollUntil(check, { intervalMs, timeoutMs }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return { value, timedOut: false };
    if (Date.now() >= deadline) return { value, timedOut: true };
    await sleep(intervalMs);
  }
}
