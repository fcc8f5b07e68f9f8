import type { Redis } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import {
  resolveStreamClientOptions,
  STREAM_PAYLOAD_FIELD as FIELD,
  type StreamClientOptions,
} from './stream-client.options';
import { StreamProducer, TRANSACTION_MIN_BYTES } from './stream-producer.service';
import { StreamLayout } from './stream-shards';
import { StreamUnavailableError } from './stream-unavailable.error';
import {
  createInspector,
  deleteKeys,
  SHARED_REDIS_URL,
  uniqueStreamNames,
  type StreamTestNames,
} from './testing/stream-test-names';

jest.setTimeout(20_000);

/** Two values that reach TRANSACTION_MIN_BYTES together: appendChunks writes them in a MULTI/EXEC. */
const LARGE_VALUES = [
  `a${'x'.repeat(TRANSACTION_MIN_BYTES / 2)}`,
  `b${'y'.repeat(TRANSACTION_MIN_BYTES / 2)}`,
];

/** The append scripts against the shared Redis: stream values written, and the entry counter beside them. */
describe('StreamProducer appends and counts log entries', () => {
  let names: StreamTestNames;
  let inspector: Redis;
  let producer: StreamProducer;
  let layout: StreamLayout;

  function options(extra: Partial<StreamClientOptions> = {}) {
    return resolveStreamClientOptions({ redisUrl: SHARED_REDIS_URL, ...names, ...extra });
  }

  beforeAll(() => {
    inspector = createInspector();
  });

  beforeEach(async () => {
    names = uniqueStreamNames();
    producer = new StreamProducer(options());
    layout = new StreamLayout(options());
    await producer.onModuleInit();
  });

  afterEach(async () => {
    await producer.onApplicationShutdown();
    await deleteKeys(inspector, names);
  });

  afterAll(async () => {
    await inspector.quit();
  });

  const counter = async () => inspector.get(layout.shards[0].entriesKey);

  it.each<[string, (string | Buffer)[], number]>([
    ['small values, in the script', ['chunk of 3', 'chunk of 4'], 0],
    ['values of TRANSACTION_MIN_BYTES in all, in a MULTI/EXEC', LARGE_VALUES, 1],
    // Ingest hands its batches over as Buffers of UTF-8 text (log-schema's encodeSubmittedChunks).
    ['Buffer values, in the script', [Buffer.from('chunk of 3 €'), Buffer.from('chunk of 4 ü')], 0],
    ['Buffer values, in a MULTI/EXEC', LARGE_VALUES.map((value) => Buffer.from(`${value} €`)), 1],
  ])(
    'appendChunks writes each value as one stream entry, in order, and counts the entries they hold: %s',
    async (_, values, transactionsExpected) => {
      const transactions = jest.spyOn(
        producer as unknown as { appendInTransaction: () => Promise<string[]> },
        'appendInTransaction',
      );
      const ids = await producer.appendChunks(values, 7);
      expect(transactions).toHaveBeenCalledTimes(transactionsExpected);

      const stored = await inspector.xrange(names.streamKey, '-', '+');
      expect(stored.map(([id, fields]) => [id, fields])).toEqual([
        [ids[0], [FIELD, values[0].toString()]],
        [ids[1], [FIELD, values[1].toString()]],
      ]);
      expect(await counter()).toBe('7');
      expect(await inspector.get(layout.shards[0].appendedKey)).toBe('7');
      expect(await producer.entryBacklog()).toEqual({ total: 7, shards: [7] });
      expect(await producer.backlog()).toEqual({ total: 2, shards: [2] });
      expect(await producer.streamLength()).toBe(2);
    },
  );

  it('append counts one entry and appendMany one per value, added to what is already counted', async () => {
    const id = await producer.append('one');
    await producer.appendMany(['two', 'three']);
    await producer.appendChunks(['five'], 5);

    expect((await inspector.xrange(names.streamKey, '-', '+'))[0]).toEqual([id, [FIELD, 'one']]);
    expect(await counter()).toBe('8');
    // The appended counter grows with it, and nothing the worker does takes it back.
    await inspector.decrby(layout.shards[0].entriesKey, 8);
    expect(await producer.entriesAppended()).toEqual({ total: 8, shards: [8] });
  });

  it('append writes each value as its own stream entry at once and counts it', async () => {
    // Grouping single entries is the caller's (log-schema's SingleEntryChunks): append itself never waits.
    const chunks = jest.spyOn(producer, 'appendChunks');
    const ids = await Promise.all([producer.append('s1'), producer.append('s2')]);

    expect(chunks).not.toHaveBeenCalled();
    expect(await inspector.xrange(names.streamKey, '-', '+')).toEqual([
      [ids[0], [FIELD, 's1']],
      [ids[1], [FIELD, 's2']],
    ]);
    expect(await counter()).toBe('2');
  });

  it('appendChunks of no values writes and counts nothing', async () => {
    expect(await producer.appendChunks([], 0)).toEqual([]);
    expect(await inspector.exists(names.streamKey, layout.shards[0].entriesKey)).toBe(0);
  });

  it('reads a missing counter as 0 and never shows a negative backlog', async () => {
    // Entries an older ingest wrote without counting them: the worker's DECRBY can take the counter below 0.
    await inspector.xadd(names.streamKey, '*', FIELD, 'written before the counter existed');
    expect(await producer.entryBacklog()).toEqual({ total: 0, shards: [0] });
    await inspector.set(layout.shards[0].entriesKey, '-5');
    expect(await producer.entryBacklog()).toEqual({ total: 0, shards: [0] });
  });

  it('a script defined up front runs in the same auto-pipeline as other commands; an undefined one is refused', async () => {
    // Defining a script while an auto-pipeline was pending left it out of that pipeline, and the
    // pipeline's answers then crashed the process: scripts are defined before traffic, never lazily.
    const script = { name: 'logpipeTestIncrBy', lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])" };
    producer.defineScript(script);
    producer.defineScript(script);
    const key = `${names.streamKey}:script-test`;
    const [backlog, total, id] = await Promise.all([
      producer.entryBacklog(),
      producer.runScript(script.name, key, [5]),
      producer.append('beside the script'),
    ]);

    expect(backlog).toEqual({ total: 0, shards: [0] });
    expect(total).toBe(5);
    expect((await inspector.xrange(names.streamKey, '-', '+'))[0]).toEqual([
      id,
      [FIELD, 'beside the script'],
    ]);
    await expect(producer.runScript('logpipeNeverDefined', key, [])).rejects.toThrow(
      'script logpipeNeverDefined was not defined with defineScript before it was run',
    );
    // Defining one while a command waits in an auto-pipeline is refused instead of breaking that pipeline.
    const queued = producer.runScript(script.name, key, [1]);
    expect(() => producer.defineScript({ name: 'logpipeTooLate', lua: 'return 1' })).toThrow(
      'script logpipeTooLate defined while commands wait in an auto-pipeline: define scripts at start-up',
    );
    expect(await queued).toBe(6);
    await inspector.del(key);
  });

  it('with REDIS_WAIT_REPLICAS the pipelined script and transaction still write and count (fewer replicas: 503)', async () => {
    // The shared Redis has no replica: WAIT confirms 0 of 1, after the script or EXEC wrote on the master.
    const waiting = new StreamProducer(options({ waitReplicas: 1, commandTimeoutMs: 200 }));
    await waiting.onModuleInit();
    try {
      const results = await Promise.allSettled([
        waiting.appendChunks(['chunk of 2'], 2),
        waiting.append('single'),
        waiting.appendChunks(LARGE_VALUES, 40),
      ]);
      for (const result of results) {
        expect(result.status === 'rejected' && result.reason).toBeInstanceOf(StreamUnavailableError);
      }
    } finally {
      await waiting.onApplicationShutdown();
    }
    expect(await inspector.xlen(names.streamKey)).toBe(4);
    expect(await counter()).toBe('43');
  });

  it('with REDIS_WAIT_REPLICAS met (0 replicas asked of none) a transaction resolves its ids', async () => {
    // waitReplicas 0 sends no WAIT; the WAIT branch is the test above. This one: ids as XRANGE has them.
    const ids = await producer.appendChunks([...LARGE_VALUES, 'small tail'], 9);
    const stored = await inspector.xrange(names.streamKey, '-', '+');
    expect(stored.map(([id]) => id)).toEqual(ids);
    expect(stored.map(([, fields]) => fields[1])).toEqual([...LARGE_VALUES, 'small tail']);
    expect(await counter()).toBe('9');
  });
});

describe('StreamProducer with 3 shards counts entries per shard', () => {
  it('each call counts into the shard it wrote, in a key of the same hash slot', async () => {
    const names = uniqueStreamNames();
    const inspector = createInspector();
    const options = resolveStreamClientOptions({ redisUrl: SHARED_REDIS_URL, ...names, shardCount: 3 });
    const layout = new StreamLayout(options);
    const producer = new StreamProducer(options);
    await producer.onModuleInit();
    try {
      await producer.appendChunks(['a', 'b'], 600);
      await producer.append('c');
      await producer.appendMany(['d', 'e']);
      // The next shard in turn is the first again; a transaction (large values) counts there too.
      const [id] = await producer.appendChunks(LARGE_VALUES, 40);

      expect(await producer.entryBacklog()).toEqual({ total: 643, shards: [640, 1, 2] });
      expect(await producer.backlog()).toEqual({ total: 7, shards: [4, 1, 2] });
      // Qualified with its shard, as the script's ids are.
      expect(layout.locate(id)?.shard.index).toBe(0);
      for (const shard of layout.shards) {
        expect(calculateSlot(shard.entriesKey)).toBe(calculateSlot(shard.streamKey));
      }
    } finally {
      await producer.onApplicationShutdown();
      await inspector.del(
        layout.recordKey,
        ...layout.shards.flatMap((shard) => [shard.streamKey, shard.entriesKey]),
      );
      await inspector.quit();
    }
  });
});
