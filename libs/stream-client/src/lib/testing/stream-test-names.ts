import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379/0';

export interface StreamTestNames {
  streamKey: string;
  groupName: string;
  deadLetterStreamKey: string;
}

/** Keys and group names no other test (or test run) uses, so tests never see each other's entries. */
export function uniqueStreamNames(): StreamTestNames {
  const suffix = randomBytes(6).toString('hex');
  return {
    streamKey: `test:stream-client:${suffix}:stream`,
    groupName: `test-group-${suffix}`,
    deadLetterStreamKey: `test:stream-client:${suffix}:dead`,
  };
}

/** A plain client for arranging and inspecting state behind the library's back. */
export function createInspector(url = SHARED_REDIS_URL): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

export async function deleteKeys(redis: Redis, names: StreamTestNames): Promise<void> {
  // The counters of the plain layout (StreamShard.entriesKey, appendedKey) go too.
  await redis.del(
    names.streamKey,
    names.deadLetterStreamKey,
    `${names.streamKey}:entries`,
    `${names.streamKey}:appended`,
  );
}
