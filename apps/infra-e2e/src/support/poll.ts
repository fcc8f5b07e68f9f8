import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `attempt` every `intervalMs` until it returns something other than undefined, or throws
 * (naming `what`) once `timeoutMs` has passed.
 */
export async function pollUntil<T>(
  what: string,
  attempt: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 30000, intervalMs = 250 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt();
    if (result !== undefined) return result;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
