import type { EntryTimeLimits, LogEntryFieldError } from './log-entry.types';

const UNITS: ReadonlyArray<[string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** 2592000000 -> "30d", 5400000 -> "90m": the largest unit that divides the duration. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** A caller bug, like a bad receipt time: limits are configuration, checked once at start-up. */
export function validateTimeLimits(limits: EntryTimeLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`timeLimits.${name} must be a non-negative integer of milliseconds, got ${value}`);
    }
  }
}

/**
 * The error for an event time outside the limits, naming the limit it broke, or undefined when it is
 * within them. Both bounds are inclusive: an entry exactly ENTRY_MAX_AGE old is still accepted.
 */
export function checkTimeLimits(
  timestampMs: number,
  receivedAtMs: number,
  { maxAgeMs, maxFutureMs }: EntryTimeLimits,
): LogEntryFieldError | undefined {
  // Formatted only for an entry outside the limits: this runs for every entry.
  const at = () => new Date(timestampMs).toISOString();
  if (maxAgeMs > 0 && timestampMs < receivedAtMs - maxAgeMs) {
    return {
      field: 'timestamp',
      message: `${at()} is older than the maximum age of ${formatDuration(maxAgeMs)} (ENTRY_MAX_AGE): entries before ${new Date(receivedAtMs - maxAgeMs).toISOString()} are refused`,
    };
  }
  if (maxFutureMs > 0 && timestampMs > receivedAtMs + maxFutureMs) {
    return {
      field: 'timestamp',
      message: `${at()} is further ahead than the grace of ${formatDuration(maxFutureMs)} (ENTRY_MAX_FUTURE): entries after ${new Date(receivedAtMs + maxFutureMs).toISOString()} are refused`,
    };
  }
  return undefined;
}
