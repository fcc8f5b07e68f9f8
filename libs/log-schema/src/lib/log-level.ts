/** Severity levels, least to most severe. The order is the ranking used by "minimum level" filters. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

const RANKS: ReadonlyMap<string, number> = new Map(LOG_LEVELS.map((level, rank) => [level, rank]));

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && RANKS.has(value);
}

/** trace=0 .. fatal=5. Throws on a value that is not a level, since the type says that cannot happen. */
export function levelRank(level: LogLevel): number {
  const rank = RANKS.get(level);
  if (rank === undefined) {
    throw new RangeError(`not a log level: ${String(level)}`);
  }
  return rank;
}
