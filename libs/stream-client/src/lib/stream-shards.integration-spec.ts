import type { Redis } from 'ioredis';
import { DeadLetters } from './dead-letters.service';
import { resolveStreamClientOptions, type StreamClientOptions } from './stream-client.options';
import { StreamConsumer } from './stream-consumer.service';
import { StreamProducer } from './stream-producer.service';
import { StreamLayout, StreamLayoutMismatchError } from './stream-shards';
import { StreamTail } from './stream-tail.service';
import {
  createInspector,
  SHARED_REDIS_URL,
  uniqueStreamNames,
  type StreamTestNames,
} from './testing/stream-test-names';

jest.setTimeout(20_000);

/** Three shards (hash-tagged keys) on the shared single Redis: the same code paths as on a cluster. */
describe('a stream of 3 shards, against the shared Redis', () => {
  let names: StreamTestNames;
  let inspector: Redis;
  const closers: { onApplicationShutdown(): Promise<void> }[] = [];

  function options(extra: Partial<StreamClientOptions> = {}) {
    return resolveStreamClientOptions({
      redisUrl: SHARED_REDIS_URL,
      ...names,
      consumerName: 'c1',
      shardCount: 3,
      ...extra,
    });
  }

  function track<T extends { onApplicationShutdown(): Promise<void> }>(service: T): T {
    closers.push(service);
    return service;
  }

  beforeAll(() => {
    inspector = createInspector();
  });

  beforeEach(() => {
    names = uniqueStreamNames();
  });

  afterEach(async () => {
    await Promise.all(closers.splice(0).map((closer) => closer.onApplicationShutdown()));
    const layout = new StreamLayout(options());
    await inspector.del(
      layout.recordKey,
      names.streamKey,
      ...layout.shards.flatMap((shard) => [shard.streamKey, shard.deadLetterStreamKey, shard.entriesKey]),
    );
  });

  afterAll(async () => {
    await inspector.quit();
  });

  it('spreads calls round-robin over the shards, one call into one shard, and reads every shard', async () => {
    const producer = track(new StreamProducer(options()));
    const consumer = track(new StreamConsumer(options()));
    await consumer.ensureGroup();
    const batches = [
      await producer.appendMany(['a', 'b']),
      [await producer.append('c')],
      await producer.appendMany(['d']),
    ];

    expect(batches.map((ids) => ids.map((id) => id.split(':')[0]))).toEqual([['s0', 's0'], ['s1'], ['s2']]);
    expect(await producer.backlog()).toEqual({ total: 4, shards: [2, 1, 1] });
    const read = [];
    for (let i = 0; i < 3; i++) read.push(...(await consumer.readNew(10, 100)));
    expect(read.map((message) => message.payload).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(read.map((message) => message.id).sort()).toEqual(batches.flat().sort());

    // ack routes each qualified id to its shard; trim then empties every shard.
    expect(await consumer.ack(read.map((message) => message.id))).toBe(4);
    expect(await consumer.trimAcknowledged()).toBe(4);
    expect((await producer.backlog()).shards).toEqual([0, 0, 0]);
    expect(await consumer.groupInfo()).toMatchObject({ pending: 0, lag: 0, consumers: 1 });
  });

  it("dead-letters into each shard's own dead-letter stream and replays into the shard it came from", async () => {
    const producer = track(new StreamProducer(options()));
    const consumer = track(new StreamConsumer(options()));
    const deadLetters = track(new DeadLetters(options()));
    await consumer.ensureGroup();
    await producer.append('bad-0');
    await producer.append('bad-1');
    const read = [...(await consumer.readNew(10, 100)), ...(await consumer.readNew(10, 100))];
    await consumer.deadLetter(read.map((message) => ({ ...message, reason: 'undecodable: test' })));

    const layout = new StreamLayout(options());
    expect(await inspector.xlen(layout.shards[0].deadLetterStreamKey)).toBe(1);
    expect(await inspector.xlen(layout.shards[1].deadLetterStreamKey)).toBe(1);
    expect(await deadLetters.length()).toBe(2);
    const page = await deadLetters.list({ count: 1 });
    expect(page.entries[0].id).toMatch(/^s0:/);
    const next = await deadLetters.list({ count: 5, after: page.next as string });
    expect(next.entries.map((letter) => letter.payload)).toEqual(['bad-1']);
    expect(next.next).toBeNull();

    const replayed = await deadLetters.replay({ all: true }, (letter) => ({
      payload: letter.payload as string,
    }));
    expect(replayed.queued.map(({ streamId }) => streamId.split(':')[0])).toEqual(['s0', 's1']);
    expect(await deadLetters.length()).toBe(0);
    // The dead-lettered originals were acknowledged and are trimmed; the replayed copies wait in their shards.
    await consumer.trimAcknowledged();
    expect((await producer.backlog()).shards).toEqual([1, 1, 0]);
  });

  it('the tail reads every shard from where it started', async () => {
    const producer = track(new StreamProducer(options()));
    const tail = track(new StreamTail(options()));
    await producer.append('before');
    const starts = await Promise.all(tail.shards.map((shard) => tail.newestId(shard)));
    await producer.appendMany(['x', 'y']);
    await producer.append('z');
    const seen = await Promise.all(
      tail.shards.map((shard) => tail.readAfter(shard, starts[shard.index], 10, 50)),
    );
    expect(seen.map((messages) => messages.map((message) => message.payload))).toEqual([
      [],
      ['x', 'y'],
      ['z'],
    ]);
  });

  it('records its layout and refuses a different shard count, or tagged keys over an undrained plain stream', async () => {
    await track(new StreamProducer(options())).verifyLayout();
    await expect(track(new StreamProducer(options({ shardCount: 2 }))).verifyLayout()).rejects.toThrow(
      /set up as shards=3;keys=tagged .* configured for shards=2;keys=tagged/,
    );
    await expect(track(new StreamProducer(options({ shardCount: 1 }))).verifyLayout()).rejects.toThrow(
      StreamLayoutMismatchError,
    );

    const layout = new StreamLayout(options());
    await inspector.del(layout.recordKey, ...layout.shards.map((shard) => shard.streamKey));
    names = uniqueStreamNames();
    await track(new StreamProducer(options({ shardCount: 1 }))).append('queued before the upgrade');
    await expect(track(new StreamProducer(options())).verifyLayout()).rejects.toThrow(
      /still holds 1 entries of the unsharded layout.*drain/,
    );
  });
});
