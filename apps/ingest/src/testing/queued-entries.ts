import { decodeStreamValue, type LogEntry } from '@logpipe/log-schema';
import { parseStreamEntry } from '@logpipe/stream-client';
import type { Redis } from 'ioredis';

/**
 * The log entries of XRANGE records ([stream id, [field, value, ...]], read with xrangeBuffer: a
 * compressed value does not survive decoding as text), in order: a chunk gives each of its entries, a
 * single value its one.
 */
export function entriesOf(records: readonly unknown[]): LogEntry[] {
  return records.flatMap((record) => {
    const { id, payload } = parseStreamEntry(record);
    if (payload === null) throw new Error(`stream entry ${id} holds no payload`);
    return decodeStreamValue(payload).slots.map((slot) => {
      if (!slot.ok) throw new Error(`stream entry ${id} holds an undecodable entry: ${slot.error.reason}`);
      return slot.entry;
    });
  });
}

/** Every log entry queued in `streamKey`, in order (what a worker would store). */
export async function queuedEntries(redis: Redis, streamKey: string): Promise<LogEntry[]> {
  return entriesOf(await redis.xrangeBuffer(streamKey, '-', '+'));
}
