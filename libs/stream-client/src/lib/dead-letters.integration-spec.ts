import type { Redis } from 'ioredis';
import { DeadLetters } from './dead-letters.service';
import { resolveStreamClientOptions, type StreamClientOptions } from './stream-client.options';
import { StreamConsumer } from './stream-consumer.service';
import { StreamProducer } from './stream-producer.service';
import {
  createInspector,
  deleteKeys,
  SHARED_REDIS_URL,
  uniqueStreamNames,
  type StreamTestNames,
} from './testing/stream-test-names';

jest.setTimeout(20_000);

describe('the dead-letter stream: its bound and DeadLetters, against the shared Redis', () => {
  let names: StreamTestNames;
  let inspector: Redis;
  const closers: { onApplicationShutdown(): Promise<void> }[] = [];

  function options(extra: Partial<StreamClientOptions> = {}) {
    return resolveStreamClientOptions({ redisUrl: SHARED_REDIS_URL, ...names, consumerName: 'c1', ...extra });
  }

  function track<T extends { onApplicationShutdown(): Promise<void> }>(service: T): T {
    closers.push(service);
    return service;
  }

  /** Appends payloads, delivers them to a consumer and dead-letters each with its reason. */
  async function deadLetter(
    consumer: StreamConsumer,
    items: { payload: string; reason: string }[],
  ): Promise<{ droppedByCount: number; droppedByAge: number }> {
    const producer = track(new StreamProducer(options()));
    await consumer.ensureGroup();
    const ids = await producer.appendMany(items.map((item) => item.payload));
    await consumer.readNew(items.length, 1000);
    return consumer.deadLetter(
      ids.map((id, i) => ({ id, payload: items[i].payload, reason: items[i].reason })),
    );
  }

  beforeAll(() => {
    inspector = createInspector();
  });

  beforeEach(() => {
    names = uniqueStreamNames();
  });

  afterEach(async () => {
    await Promise.all(closers.splice(0).map((closer) => closer.onApplicationShutdown()));
    await deleteKeys(inspector, names);
  });

  afterAll(async () => {
    await inspector.quit();
  });

  it('keeps at most deadLetterMaxEntries dead letters, dropping the oldest, and says how many it dropped', async () => {
    const consumer = track(new StreamConsumer(options({ deadLetterMaxEntries: 3 })));
    const first = await deadLetter(
      consumer,
      [1, 2].map((n) => ({ payload: `p${n}`, reason: 'r' })),
    );
    expect(first).toEqual({ droppedByCount: 0, droppedByAge: 0 });
    const second = await deadLetter(
      consumer,
      [3, 4, 5].map((n) => ({ payload: `p${n}`, reason: 'r' })),
    );
    expect(second).toEqual({ droppedByCount: 2, droppedByAge: 0 });
    const kept = await inspector.xrange(names.deadLetterStreamKey, '-', '+');
    expect(kept.map(([, fields]) => fields[fields.indexOf('data') + 1])).toEqual(['p3', 'p4', 'p5']);
  });

  it('drops dead letters older than deadLetterMaxAgeMs', async () => {
    const old = `${Date.now() - 3_600_000}-0`;
    await inspector.xadd(names.deadLetterStreamKey, old, 'data', 'ancient', 'reason', 'r');
    const consumer = track(new StreamConsumer(options({ deadLetterMaxAgeMs: 60_000 })));
    expect(await deadLetter(consumer, [{ payload: 'fresh', reason: 'r' }])).toEqual({
      droppedByCount: 0,
      droppedByAge: 1,
    });
    expect(await inspector.xlen(names.deadLetterStreamKey)).toBe(1);
  });

  it('lists dead letters with counts by reason, pages through them, filters by the start of a reason', async () => {
    const consumer = track(new StreamConsumer(options()));
    await deadLetter(consumer, [
      { payload: 'a', reason: 'undecodable: not valid JSON' },
      { payload: 'b', reason: 'rejected by PostgreSQL: boom' },
      { payload: 'c', reason: 'undecodable: expected a JSON array' },
    ]);
    const deadLetters = track(new DeadLetters(options()));
    expect(await deadLetters.summary()).toEqual({
      total: 3,
      reasons: [
        { reason: 'rejected by PostgreSQL: boom', count: 1 },
        { reason: 'undecodable: expected a JSON array', count: 1 },
        { reason: 'undecodable: not valid JSON', count: 1 },
      ],
    });
    const first = await deadLetters.list({ count: 2 });
    expect(first.entries.map((letter) => letter.payload)).toEqual(['a', 'b']);
    expect(first.next).toBe(first.entries[1].id);
    const rest = await deadLetters.list({ count: 2, after: first.next as string });
    expect(rest).toEqual({ entries: [expect.objectContaining({ payload: 'c' })], next: null });
    const undecodable = await deadLetters.list({ count: 10, reason: 'undecodable' });
    expect(undecodable.entries.map((letter) => letter.payload)).toEqual(['a', 'c']);
    const shown = await deadLetters.get(first.entries[0].id);
    expect(shown).toEqual(
      expect.objectContaining({ payload: 'a', consumer: 'c1', reason: 'undecodable: not valid JSON' }),
    );
    expect(shown?.sourceId).toMatch(/^\d+-\d+$/);
    expect(await deadLetters.get('1-1')).toBeNull();
    expect(await deadLetters.get('not-an-id')).toBeNull();
  });

  it('replays onto the log stream and removes the dead letter; a second replay finds nothing to queue', async () => {
    const consumer = track(new StreamConsumer(options()));
    await deadLetter(consumer, [
      { payload: 'good', reason: 'r' },
      { payload: 'bad', reason: 'r' },
    ]);
    const deadLetters = track(new DeadLetters(options()));
    const prepare = (letter: { payload: string | null }) =>
      letter.payload === 'good' ? { payload: 'good, fixed' } : { refused: 'still bad' };
    const before = await inspector.xlen(names.streamKey);
    const result = await deadLetters.replay({ all: true }, prepare);
    expect(result.queued).toHaveLength(1);
    expect(result.skipped).toEqual([{ id: expect.any(String), reason: 'still bad' }]);
    const [[, fields]] = await inspector.xrange(names.streamKey, result.queued[0].streamId, '+');
    expect(fields).toEqual(['data', 'good, fixed']);
    expect(await inspector.xlen(names.streamKey)).toBe(before + 1);
    expect((await deadLetters.list({ count: 10 })).entries.map((letter) => letter.payload)).toEqual(['bad']);

    const again = await deadLetters.replay({ ids: [result.queued[0].id] }, prepare);
    expect(again).toEqual({
      queued: [],
      skipped: [{ id: result.queued[0].id, reason: 'no such dead letter' }],
    });
    expect(await inspector.xlen(names.streamKey)).toBe(before + 1);
  });

  it('replay counts the entries it queues on the entry counter (a chunk its entries), in the same script', async () => {
    const consumer = track(new StreamConsumer(options()));
    await deadLetter(consumer, [
      { payload: 'a chunk of 3', reason: 'r' },
      { payload: 'one entry', reason: 'r' },
    ]);
    const deadLetters = track(new DeadLetters(options()));
    const entriesKey = `${names.streamKey}:entries`;
    await inspector.del(entriesKey);
    const result = await deadLetters.replay({ all: true }, (letter) =>
      letter.payload === 'a chunk of 3' ? { payload: 'chunk', entries: 3 } : { payload: 'single' },
    );
    expect(result.queued).toHaveLength(2);
    expect(await inspector.get(entriesKey)).toBe('4');
  });

  it('replay with keep leaves the dead letter in place', async () => {
    const consumer = track(new StreamConsumer(options()));
    await deadLetter(consumer, [{ payload: 'p', reason: 'r' }]);
    const deadLetters = track(new DeadLetters(options()));
    const result = await deadLetters.replay({ reason: 'r' }, (l) => ({ payload: l.payload ?? '' }), {
      keep: true,
    });
    expect(result.queued).toHaveLength(1);
    expect(await deadLetters.length()).toBe(1);
  });

  it('purges by id, by reason and all', async () => {
    const consumer = track(new StreamConsumer(options()));
    await deadLetter(consumer, [
      { payload: 'a', reason: 'x: 1' },
      { payload: 'b', reason: 'x: 2' },
      { payload: 'c', reason: 'y' },
      { payload: 'd', reason: 'z' },
    ]);
    const deadLetters = track(new DeadLetters(options()));
    const { entries } = await deadLetters.list({ count: 10 });
    expect(await deadLetters.purge({ ids: [entries[3].id, '1-1'] })).toBe(1);
    expect(await deadLetters.purge({ reason: 'x' })).toBe(2);
    expect((await deadLetters.list({ count: 10 })).entries.map((letter) => letter.payload)).toEqual(['c']);
    expect(await deadLetters.purge({ all: true })).toBe(1);
    expect(await deadLetters.length()).toBe(0);
  });
});
