// OTLP's times are uint64 nanoseconds since the epoch, 0 meaning unknown; the log entry keeps
// milliseconds. Both decoders convert to milliseconds here, so a record never carries a bigint.

/** A time field that was 0 (unknown): no valid time is negative. */
export const NO_TIME = -1;

const NANOS_PER_MILLI = 1_000_000;
/** 2^32 ns = 4,294 ms + 967,296 ns: how the high half of a fixed64 splits into milliseconds and the rest. */
const MILLIS_PER_HIGH_UNIT = 4_294;
const NANOS_LEFT_PER_HIGH_UNIT = 967_296;

/**
 * Whole milliseconds of the uint64 `high * 2^32 + low` nanoseconds, exactly, without a BigInt: the part
 * below the millisecond is at most (2^32 - 1) * 967,296 + 2^32 - 1 < 2^53, so it and its quotient are exact
 * doubles, and the quotient is at least 10^-6 away from the next integer, more than its rounding error.
 */
export function millisOfNanoHalves(high: number, low: number): number {
  if (high === 0 && low === 0) return NO_TIME;
  const belowHigh = high * NANOS_LEFT_PER_HIGH_UNIT + low;
  return high * MILLIS_PER_HIGH_UNIT + Math.floor(belowHigh / NANOS_PER_MILLI);
}

/** The same for a bigint (OTLP/JSON's decimal strings). */
export function millisOfNanos(nanos: bigint): number {
  return nanos === 0n ? NO_TIME : Number(nanos / BigInt(NANOS_PER_MILLI));
}
