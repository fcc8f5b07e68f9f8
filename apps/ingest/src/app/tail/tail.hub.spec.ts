import { encodeLogChunk, encodeLogEntry, type LogEntry } from '@logpipe/log-schema';
import { sampleLogEntry } from '@logpipe/log-schema/testing';
import type { StreamShard, StreamTail } from '@logpipe/stream-client';
import type { ConfigService } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IngestConfig } from '../ingest.config';
import type { IngestMetrics } from '../metrics/ingest.metrics';
import { TailHub } from './tail.hub';
import type { TailReader } from './tail-reader';

const SHARDS: StreamShard[] = [0, 1].map((index) => ({
  index,
  streamKey: `logs:{s${index}}:stream`,
  deadLetterStreamKey: `logs:{s${index}}:dead`,
  entriesKey: `logs:{s${index}}:stream:entries`,
  appendedKey: `logs:{s${index}}:stream:appended`,
}));

/**
 * A StreamTail over two shards whose reads return nothing: shard 0 at once (after 10 ms), shard 1 only
 * after 150 ms, like a BLOCK read on a quiet shard. It counts the reads of each shard.
 */
function fakeStream() {
  const reads = [0, 0];
  const stream = {
    shards: SHARDS,
    newestId: async () => '0-0',
    readAfter: async (shard: StreamShard) => {
      reads[shard.index]++;
      await sleep(shard.index === 0 ? 10 : 150);
      return [];
    },
    stopReads: () => undefined,
  } as unknown as StreamTail;
  return { stream, reads };
}

const reader = () =>
  ({ offer: () => true, heartbeat: () => undefined, end: () => undefined }) as unknown as TailReader;

const config = { get: () => 60_000 } as unknown as ConfigService<IngestConfig, true>;
const metrics = {
  tailReaders: { set: () => undefined },
  tailDropped: { inc: () => undefined },
  tailEntries: { inc: () => undefined },
} as unknown as IngestMetrics;

describe('TailHub with several shards', () => {
  it('reads every shard for a reader that arrives while only some shard loops have stopped', async () => {
    const { stream, reads } = fakeStream();
    const hub = new TailHub(config, metrics, stream);
    const first = reader();
    await hub.ready();
    hub.add(first);
    await sleep(30);
    // The only reader leaves: shard 0's loop stops after its next quick read, shard 1's is still in its
    // slow read when the next reader arrives (a console page reloaded).
    hub.remove(first, false);
    await sleep(40);
    await hub.ready();
    hub.add(reader());
    const before = [...reads];
    await sleep(400);
    expect(reads[0] - before[0]).toBeGreaterThan(5);
    expect(reads[1] - before[1]).toBeGreaterThan(0);
    await hub.onModuleDestroy();
  });
});

describe('TailHub with chunks', () => {
  const entry = (message: string): LogEntry =>
    sampleLogEntry(message, { timestamp: 1_764_000_000_000, receivedAt: 1_764_000_000_000 });

  it('fans a chunk out per entry, each under its position <id>#<i>, and an old single entry under its id', async () => {
    let reads = 0;
    const stream = {
      shards: [SHARDS[0]],
      newestId: async () => '0-0',
      readAfter: async () => {
        await sleep(20);
        // The first read may come before the reader is added (TailHub.ready): serve the entries on the second.
        if (++reads !== 2) return [];
        return [
          { id: '5-0', rawId: '5-0', payload: encodeLogEntry(entry('old')) },
          { id: '6-0', rawId: '6-0', payload: encodeLogChunk([entry('a'), entry('b')]) },
          { id: '7-0', rawId: '7-0', payload: 'garbage' },
        ];
      },
      stopReads: () => undefined,
    } as unknown as StreamTail;
    const offered: [string, string][] = [];
    const hub = new TailHub(config, metrics, stream);
    await hub.ready();
    hub.add({
      offer: (e: LogEntry, position: string) => offered.push([e.message, position]) > 0,
      heartbeat: () => undefined,
      end: () => undefined,
    } as unknown as TailReader);
    await sleep(100);
    await hub.onModuleDestroy();
    expect(offered).toEqual([
      ['old', '5-0'],
      ['a', '6-0#0'],
      ['b', '6-0#1'],
    ]);
  });
});
