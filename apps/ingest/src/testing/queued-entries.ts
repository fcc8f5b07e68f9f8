import { decodeStreamValue, type LogEntry } from '@logpipe/log-schema';
import type { Redis } from 'ioredis';

/** XRANGE's records: [stream id, [field, value]]. */
type StreamRecords = [id: string, fields: string[]][];

/** The log entries of stream records, in order: a chunk gives each of its entries, a single value its one. */
export function entriesOf(records: StreamRecords): LogEntry[] {
  return records.flatMap(([id, fields]) =>
    decodeStreamValue(fields[1]).slots.map((slot) => {
      if (!slot.ok) throw new Error(`stream entry ${id} holds an undecodable entry: ${slot.error.reason}`);
      return slot.entry;
    }),
  );
}

/** Every log entry queued in `streamKey`, in order (what a worker would store). */
export async function queuedEntries(redis: Redis, streamKey: string): Promise<LogEntry[]> {
  return entriesOf(await redis.xrange(streamKey, '-', '+'));
}
