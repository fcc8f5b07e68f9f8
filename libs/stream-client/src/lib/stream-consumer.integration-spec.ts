import type { Redis } from 'ioredis';
import {
  resolveStreamClientOptions,
  STREAM_PAYLOAD_FIELD,
  type StreamClientOptions,
} from './stream-client.options';
import { StreamConsumer } from './stream-consumer.service';
import { StreamProducer } from './stream-producer.service';
import { StreamTail } from './stream-tail.service';
import { SNAPPY_PAYLOAD_FIELD } from './stream-value-compression';
import {
  createInspector,
  deleteKeys,
  SHARED_REDIS_URL,
  uniqueStreamNames,
  type StreamTestNames,
} from './testing/stream-test-names';
import { setTimeout as sleep } from 'node:timers/promises';

jest.setTimeout(20_000);

describe('StreamProducer + StreamConsumer against the shared Redis', () => {
  let names: StreamTestNames;
  let inspector: Redis;
  let producer: StreamProducer;
  const consumers: StreamConsumer[] = [];

  function options(extra: Partial<StreamClientOptions> = {}) {
    return resolveStreamClientOptions({ redisUrl: SHARED_REDIS_URL, ...names, ...extra });
  }

  function consumer(consumerName: string, extra: Partial<StreamClientOptions> = {}): StreamConsumer {
    const created = new StreamConsumer(options({ consumerName, ...extra }));
    consumers.push(created);
    return created;
  }

  async function appendNumbered(count: number): Promise<string[]> {
    return producer.appendMany(Array.from({ length: count }, (_, i) => `payload-${i + 1}`));
  }

  async function streamIds(): Promise<string[]> {
    return (await inspector.xrange(names.streamKey, '-', '+')).map(([id]) => id);
  }

  beforeAll(() => {
    inspector = createInspector();
  });

  beforeEach(async () => {
    names = uniqueStreamNames();
    producer = new StreamProducer(options());
    await producer.onModuleInit();
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((created) => created.onApplicationShutdown()));
    await producer.onApplicationShutdown();
    await deleteKeys(inspector, names);
  });

  afterAll(async () => {
    await inspector.quit();
  });

  it('delivers appended payloads to readNew in order, with their ids, as first deliveries', async () => {
    const c1 = consumer('c1');
    await c1.ensureGroup();
    const first = await producer.append('{"message":"one"}');
    const rest = await producer.appendMany(['two', 'three']);

    const messages = await c1.readNew(10, 1000);

    expect(messages).toEqual([
      { id: first, payload: '{"message":"one"}', deliveryCount: 1 },
      { id: rest[0], payload: 'two', deliveryCount: 1 },
      { id: rest[1], payload: 'three', deliveryCount: 1 },
    ]);
    expect(await producer.streamLength()).toBe(3);
  });

  it('readNew waits about blockMs and returns [] when nothing arrives', async () => {
    const c1 = consumer('c1');
    await c1.ensureGroup();

    const started = Date.now();
    const messages = await c1.readNew(10, 600);
    const elapsed = Date.now() - started;

    expect(messages).toEqual([]);
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(1500);
  });

  it('readNew returns as soon as an entry arrives during its wait', async () => {
    const c1 = consumer('c1');
    await c1.ensureGroup();

    const started = Date.now();
    const reading = c1.readNew(10, 10_000);
    await sleep(300);
    const id = await producer.append('late');
    const messages = await reading;

    expect(messages).toEqual([{ id, payload: 'late', deliveryCount: 1 }]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('appendMany writes its batch as consecutive entries even while another writer appends', async () => {
    await producer.onApplicationShutdown();
    producer = new StreamProducer(options({ connectionName: `batch-${names.groupName}` }));
    const other = new StreamProducer(options());
    const batch = Array.from({ length: 300 }, (_, i) => `batch-${i}`);
    try {
      const singles = Array.from({ length: 60 }, (_, i) => other.append(`single-${i}`));
      const [ids] = await Promise.all([producer.appendMany(batch), ...singles]);

      const between = await inspector.xrange(names.streamKey, ids[0], ids[ids.length - 1]);
      expect(between.map(([id]) => id)).toEqual(ids);
      expect(between.map(([, fields]) => fields)).toEqual(batch.map((payload) => ['data', payload]));
      expect(await inspector.xlen(names.streamKey)).toBe(360);
      // One atomic script call, not 300 separate XADDs.
      expect(['evalsha', 'eval']).toContain(
        await lastCommandOf(inspector, `batch-${names.groupName}-producer`),
      );
    } finally {
      await other.onApplicationShutdown();
    }
  });

  it('appendMany of no payloads writes nothing', async () => {
    expect(await producer.appendMany([])).toEqual([]);
    expect(await inspector.exists(names.streamKey)).toBe(0);
  });

  it('ensureGroup is idempotent and a new group starts at the first entry already in the stream', async () => {
    const before = await producer.append('written before the group existed');
    const c1 = consumer('c1');

    await c1.ensureGroup();
    await c1.ensureGroup();

    const groups = (await inspector.xinfo('GROUPS', names.streamKey)) as unknown[];
    expect(groups).toHaveLength(1);
    expect(await c1.readNew(10, 500)).toEqual([
      { id: before, payload: 'written before the group existed', deliveryCount: 1 },
    ]);
  });

  it('readPending pages through this consumer’s own unacked entries after a restart, then starts over', async () => {
    const c1 = consumer('c1');
    const c2 = consumer('c2');
    await c1.ensureGroup();
    const ids = await appendNumbered(5);
    expect((await c1.readNew(3, 500)).map((m) => m.id)).toEqual(ids.slice(0, 3));
    expect((await c2.readNew(2, 500)).map((m) => m.id)).toEqual(ids.slice(3));

    const restarted = consumer('c1');
    const page1 = await restarted.readPending(2);
    const page2 = await restarted.readPending(2);
    const end = await restarted.readPending(2);
    const again = await restarted.readPending(10);

    expect(page1.map((m) => [m.id, m.payload])).toEqual([
      [ids[0], 'payload-1'],
      [ids[1], 'payload-2'],
    ]);
    expect(page2.map((m) => m.id)).toEqual([ids[2]]);
    expect(end).toEqual([]);
    expect(again.map((m) => m.id)).toEqual(ids.slice(0, 3));
    // Delivered by readNew, then once per readPending pass.
    expect(page1[0].deliveryCount).toBe(2);
    expect(again[0].deliveryCount).toBe(3);
  });

  it('readPending reports an entry deleted while pending with payload null', async () => {
    const c1 = consumer('c1');
    await c1.ensureGroup();
    const ids = await appendNumbered(2);
    await c1.readNew(10, 500);
    await inspector.xdel(names.streamKey, ids[0]);

    const pending = await c1.readPending(10);

    expect(pending.map((m) => [m.id, m.payload])).toEqual([
      [ids[0], null],
      [ids[1], 'payload-2'],
    ]);
  });

  it('ack removes entries from the pending list and counts only entries that were pending', async () => {
    const c1 = consumer('c1');
    await c1.ensureGroup();
    const ids = await appendNumbered(3);
    await c1.readNew(10, 500);

    expect(await c1.ack(ids.slice(0, 2))).toBe(2);
    expect(await c1.ack(ids.slice(0, 2))).toBe(0);
    expect(await c1.ack([])).toBe(0);

    expect((await c1.readPending(10)).map((m) => m.id)).toEqual([ids[2]]);
    expect((await c1.groupInfo()).pending).toBe(1);
  });

  it('deadLetter copies entries with their reason to the dead-letter stream and acks them', async () => {
    const c1 = consumer('c1');
    await c1.ensureGroup();
    const ids = await appendNumbered(3);
    await c1.readNew(10, 500);

    await c1.deadLetter([
      { id: ids[0], payload: 'payload-1', reason: 'invalid: level' },
      { id: ids[1], payload: null, reason: 'entry deleted' },
    ]);

    const dead = await inspector.xrange(names.deadLetterStreamKey, '-', '+');
    const fields = dead.map(([, values]) =>
      Object.fromEntries(
        values.reduce<string[][]>((pairs, v, i) => (i % 2 ? pairs : [...pairs, [v, values[i + 1]]]), []),
      ),
    );
    expect(fields).toEqual([
      {
        'source-id': ids[0],
        data: 'payload-1',
        reason: 'invalid: level',
        'failed-at': expect.any(String),
        consumer: 'c1',
      },
      {
        'source-id': ids[1],
        data: '',
        reason: 'entry deleted',
        'failed-at': expect.any(String),
        consumer: 'c1',
      },
    ]);
    expect(new Date(fields[0]['failed-at']).toISOString()).toBe(fields[0]['failed-at']);
    expect((await c1.readPending(10)).map((m) => m.id)).toEqual([ids[2]]);
  });

  it('deadLetter copies and acknowledges in one script, and a repeated call copies nothing twice', async () => {
    const c1 = consumer('c1', { connectionName: `dl-${names.groupName}` });
    await c1.ensureGroup();
    const ids = await appendNumbered(2);
    await c1.readNew(10, 500);

    const items = ids.map((id) => ({ id, payload: 'x', reason: 'r' }));
    await c1.deadLetter(items);
    // CLIENT LIST shows each connection's last command: one script call, no separate XACK.
    expect(['evalsha', 'eval']).toContain(await lastCommandOf(inspector, `dl-${names.groupName}-consumer`));
    expect(await inspector.xlen(names.deadLetterStreamKey)).toBe(2);
    expect(await c1.readPending(10)).toEqual([]);

    // A retry after a lost reply (or after another shard of the batch failed): nothing pending, no copy.
    await c1.deadLetter(items);
    expect(await inspector.xlen(names.deadLetterStreamKey)).toBe(2);
    // An entry XAUTOCLAIM reported deleted from the stream (payload null) is no longer pending, and its
    // dead letter is written anyway: it is the only record of the loss.
    await c1.deadLetter([{ id: ids[0], payload: null, reason: 'deleted from the stream' }]);
    expect(await inspector.xlen(names.deadLetterStreamKey)).toBe(3);
  });

  it('settle acknowledges messages, writes their dead letters and takes their entries off the counter once', async () => {
    const c1 = consumer('c1', { connectionName: `settle-${names.groupName}` });
    await c1.ensureGroup();
    const ids = await appendNumbered(3);
    const entriesKey = `${names.streamKey}:entries`;
    // As ingest's append script counts them: a chunk of 3, a chunk of 2 (one entry refused), one entry.
    await inspector.set(entriesKey, 6);
    await c1.readNew(10, 500);
    const settled = [
      { id: ids[0], entries: 3, deadLetters: [] },
      {
        id: ids[1],
        entries: 2,
        deadLetters: [{ id: `${ids[1]}#1`, payload: 'bad', reason: 'undecodable: x' }],
      },
      { id: ids[2], entries: 1, deadLetters: [] },
    ];

    expect(await c1.settle(settled)).toEqual({ acknowledged: 3, droppedByAge: 0, droppedByCount: 0 });
    expect(['evalsha', 'eval']).toContain(
      await lastCommandOf(inspector, `settle-${names.groupName}-consumer`),
    );
    expect(await inspector.get(entriesKey)).toBe('0');
    const dead = await inspector.xrange(names.deadLetterStreamKey, '-', '+');
    expect(dead.map(([, fields]) => fields.slice(0, 6))).toEqual([
      ['source-id', `${ids[1]}#1`, 'data', 'bad', 'reason', 'undecodable: x'],
    ]);
    expect(await c1.readPending(10)).toEqual([]);

    // A retry after a lost reply: nothing pending any more, so no copy and no second decrement.
    await inspector.set(entriesKey, 4);
    expect((await c1.settle(settled)).acknowledged).toBe(0);
    expect(await inspector.xlen(names.deadLetterStreamKey)).toBe(1);
    expect(await inspector.get(entriesKey)).toBe('4');
  });

  it('settle clamps the entry counter at 0 (entries written before it existed were never counted)', async () => {
    const c1 = consumer('c1');
    await c1.ensureGroup();
    const ids = await appendNumbered(2);
    const entriesKey = `${names.streamKey}:entries`;
    await inspector.set(entriesKey, 1);
    await c1.readNew(10, 500);
    await c1.settle(ids.map((id) => ({ id, entries: 5, deadLetters: [] })));
    expect(await inspector.get(entriesKey)).toBe('0');
  });

  it('trimAcknowledged resets the entry counter when it leaves the stream empty, not before', async () => {
    const c1 = consumer('c1');
    await c1.ensureGroup();
    const ids = await appendNumbered(2);
    const entriesKey = `${names.streamKey}:entries`;
    await inspector.set(entriesKey, 7); // drifted: e.g. entries deleted from the stream unsettled
    await c1.readNew(10, 500);
    await c1.ack([ids[0]]);
    await c1.trimAcknowledged();
    expect(await inspector.get(entriesKey)).toBe('6');
    await c1.ack([ids[1]]);
    await c1.trimAcknowledged();
    expect(await inspector.xlen(names.streamKey)).toBe(0);
    expect(await inspector.get(entriesKey)).toBe('0');
  });

  it('claimIdle takes over entries another consumer left idle, up to count', async () => {
    const c1 = consumer('c1');
    const c2 = consumer('c2');
    await c1.ensureGroup();
    const ids = await appendNumbered(3);
    await c1.readNew(10, 500);

    expect(await c2.claimIdle(60_000, 10)).toEqual([]);
    await sleep(150);
    const firstTwo = await c2.claimIdle(100, 2);
    const rest = await c2.claimIdle(100, 10);

    expect(firstTwo).toEqual([
      { id: ids[0], payload: 'payload-1', deliveryCount: 2 },
      { id: ids[1], payload: 'payload-2', deliveryCount: 2 },
    ]);
    expect(rest.map((m) => m.id)).toEqual([ids[2]]);
    const owners = (await inspector.xpending(names.streamKey, names.groupName, '-', '+', 10)) as [
      string,
      string,
    ][];
    expect(owners.map(([, owner]) => owner)).toEqual(['c2', 'c2', 'c2']);
    expect(await c1.readPending(10)).toEqual([]);
  });

  it('values of compressMinBytes and more are stored compressed and read back as written: readNew, readPending, claimIdle', async () => {
    const c1 = consumer('c1');
    const c2 = consumer('c2');
    await c1.ensureGroup();
    // Text with multi-byte characters (UTF-8 round trip) and a Buffer, above the 16 KiB default; one small.
    const large = `[4,1,"default",[${'{"message":"grüße €"},'.repeat(1000)}{"message":"end"}]]`;
    const largeBuffer = Buffer.from(large.replace('end', 'last'));
    const ids = await producer.appendChunks([large, 'small', largeBuffer], 3);

    const stored = await inspector.xrangeBuffer(names.streamKey, '-', '+');
    expect(stored.map(([, fields]) => fields[0].toString())).toEqual([
      SNAPPY_PAYLOAD_FIELD,
      STREAM_PAYLOAD_FIELD,
      SNAPPY_PAYLOAD_FIELD,
    ]);
    // Compressed for real: the repetitive text shrinks far below its size.
    expect(stored[0][1][1].length).toBeLessThan(Buffer.byteLength(large) / 4);

    const expected = [large, 'small', largeBuffer.toString()];
    expect((await c1.readNew(10, 500)).map((m) => [m.id, m.payload])).toEqual(
      ids.map((id, i) => [id, expected[i]]),
    );
    expect((await c1.readPending(10)).map((m) => m.payload)).toEqual(expected);
    await sleep(50);
    expect((await c2.claimIdle(10, 10)).map((m) => m.payload)).toEqual(expected);

    // The live tail reads the same values, and starts after the newest (compressed) one.
    const tail = new StreamTail(options());
    try {
      const [shard] = tail.shards;
      expect((await tail.readAfter(shard, '0-0', 10, 10)).map((m) => m.payload)).toEqual(expected);
      expect(await tail.newestId(shard)).toBe(ids[2]);
    } finally {
      await tail.onApplicationShutdown();
    }
  });

  it('a compressed value that does not uncompress comes back corrupt (base64, with the reason), not as a failed read', async () => {
    const c1 = consumer('c1');
    await c1.ensureGroup();
    const junk = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]);
    const bad = await inspector.xadd(names.streamKey, '*', SNAPPY_PAYLOAD_FIELD, junk);
    const [good] = await producer.appendMany(['fine']);

    const [first, second] = await c1.readNew(10, 500);

    expect(first).toEqual({
      id: bad,
      payload: null,
      corrupt: { value: junk.toString('base64'), reason: expect.stringContaining(SNAPPY_PAYLOAD_FIELD) },
      deliveryCount: 1,
    });
    expect(second).toEqual({ id: good, payload: 'fine', deliveryCount: 1 });
  });

  it('with compressMinBytes 0 nothing is compressed', async () => {
    const plain = new StreamProducer(options({ compressMinBytes: 0 }));
    await plain.onModuleInit();
    try {
      await plain.appendChunks(['x'.repeat(64 * 1024)], 1);
      const [[, fields]] = await inspector.xrange(names.streamKey, '-', '+');
      expect(fields).toEqual([STREAM_PAYLOAD_FIELD, 'x'.repeat(64 * 1024)]);
    } finally {
      await plain.onApplicationShutdown();
    }
  });

  it('claimIdle returns an entry deleted while pending with payload null', async () => {
    const c1 = consumer('c1');
    const c2 = consumer('c2');
    await c1.ensureGroup();
    const ids = await appendNumbered(2);
    await c1.readNew(10, 500);
    await inspector.xdel(names.streamKey, ids[0]);
    await sleep(50);

    const claimed = await c2.claimIdle(10, 10);

    expect(claimed.map((m) => [m.id, m.payload]).sort()).toEqual([
      [ids[0], null],
      [ids[1], 'payload-2'],
    ]);
  });

  it('deliveryCounts reports counts for pending ids and leaves out the rest', async () => {
    const c1 = consumer('c1');
    await c1.ensureGroup();
    const ids = await appendNumbered(4);
    await c1.readNew(3, 500);
    await c1.readPending(1);
    await c1.ack([ids[1]]);

    const counts = await c1.deliveryCounts([ids[3], ids[0], ids[1], ids[2]]);

    expect([...counts.entries()].sort()).toEqual([
      [ids[0], 2],
      [ids[2], 1],
    ]);
    expect(await c1.deliveryCounts([])).toEqual(new Map());
  });

  it('trimAcknowledged removes acknowledged entries only, never pending or undelivered ones', async () => {
    const c1 = consumer('c1');
    await c1.ensureGroup();
    const ids = await appendNumbered(7);
    await c1.readNew(5, 500);
    await c1.ack(ids.slice(0, 3));

    expect(await c1.trimAcknowledged()).toBe(3);
    expect(await streamIds()).toEqual(ids.slice(3));
    expect(await c1.trimAcknowledged()).toBe(0);

    await c1.ack(ids.slice(3, 5));
    expect(await c1.trimAcknowledged()).toBe(2);
    expect(await streamIds()).toEqual(ids.slice(5));
    expect((await c1.readNew(10, 500)).map((m) => m.payload)).toEqual(['payload-6', 'payload-7']);
  });

  it('trimAcknowledged keeps an acked entry while an earlier one is still pending', async () => {
    const c1 = consumer('c1');
    await c1.ensureGroup();
    const ids = await appendNumbered(3);
    await c1.readNew(3, 500);
    await c1.ack([ids[1], ids[2]]);

    expect(await c1.trimAcknowledged()).toBe(0);
    expect(await streamIds()).toEqual(ids);
  });

  it('trimAcknowledged respects the slower of two groups on the stream', async () => {
    const fast = consumer('fast');
    const slow = consumer('slow', { groupName: `${names.groupName}-slow` });
    await fast.ensureGroup();
    await slow.ensureGroup();
    const ids = await appendNumbered(5);
    await fast.readNew(10, 500);
    await fast.ack(ids);
    await slow.readNew(2, 500);
    await slow.ack([ids[0]]);

    expect(await fast.trimAcknowledged()).toBe(1);
    expect(await streamIds()).toEqual(ids.slice(1));

    await slow.ack([ids[1]]);
    expect(await fast.trimAcknowledged()).toBe(1);
    expect(await streamIds()).toEqual(ids.slice(2));
  });

  it('trimAcknowledged leaves a stream without groups alone', async () => {
    const c1 = consumer('c1');
    await appendNumbered(3);

    expect(await c1.trimAcknowledged()).toBe(0);
    expect(await inspector.xlen(names.streamKey)).toBe(3);
  });

  it('groupInfo reports pending, lag, last delivered id and consumers, creating a missing group', async () => {
    const c1 = consumer('c1');
    expect(await c1.groupInfo()).toEqual({ pending: 0, lag: 0, lastDeliveredId: '0-0', consumers: 0 });

    const ids = await appendNumbered(5);
    await c1.readNew(2, 500);
    await c1.ack([ids[0]]);

    expect(await c1.groupInfo()).toEqual({ pending: 1, lag: 3, lastDeliveredId: ids[1], consumers: 1 });
  });

  it('rejects a count that is not a positive integer instead of sending COUNT 0 (no limit)', async () => {
    const c1 = consumer('c1');

    await expect(c1.readNew(0, 100)).rejects.toThrow(RangeError);
    await expect(c1.readPending(-1)).rejects.toThrow(RangeError);
    await expect(c1.claimIdle(0, 1.5)).rejects.toThrow(RangeError);
  });

  it('stop makes a waiting readNew return [] promptly and later reads return [] at once', async () => {
    const c1 = consumer('c1');
    await c1.ensureGroup();
    const reading = c1.readNew(10, 10_000);
    await sleep(200);

    const stoppedAt = Date.now();
    c1.stop();
    expect(await reading).toEqual([]);
    expect(Date.now() - stoppedAt).toBeLessThan(500);

    await producer.append('after stop');
    const laterStarted = Date.now();
    expect(await c1.readNew(10, 5000)).toEqual([]);
    expect(Date.now() - laterStarted).toBeLessThan(100);
    expect(await c1.ack([])).toBe(0);
  });
});

async function lastCommandOf(redis: Redis, connectionName: string): Promise<string | undefined> {
  const clients = (await redis.client('LIST')) as string;
  const line = clients.split('\n').find((entry) => entry.includes(` name=${connectionName} `));
  return line ? /\bcmd=(\S+)/.exec(line)?.[1] : undefined;
}
