import 'reflect-metadata';
import {
  encodeChunkEntry,
  encodeLogChunk,
  encodeLogChunkOfEncoded,
  encodeLogEntry,
  encodeSubmittedChunks,
  type LogEntry,
} from '@logpipe/log-schema';
import { LogBatchWriter } from '@logpipe/log-store';
import { openMigratedSchema } from '@logpipe/log-store/testing';
import { resolveStreamClientOptions, StreamConsumer, type StreamClientOptions } from '@logpipe/stream-client';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { LogBatchProcessor } from './log-batch.processor';
import { RowInserter } from './row-inserter.service';

// The read side of chunked streams (issue 14) against the real Redis and PostgreSQL: every entry of a
// chunk stored once under its own position, a poison entry dead-lettered alone, the entry counter taken
// down once per settled message, old single-entry values and chunks drained from the same stream.

const DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = 'redis://127.0.0.1:6379/0';
const CONFIG: Record<string, unknown> = {
  BATCH_SIZE: 4,
  MAX_DELIVERIES: 2,
  POISON_MAX_ATTEMPTS: 2,
  RETRY_BASE_MS: 10,
  RETRY_MAX_MS: 20,
};
const config = { get: (key: string) => CONFIG[key] } as never;

jest.setTimeout(30_000);

function entry(message: string): LogEntry {
  return {
    timestamp: Date.parse('2026-11-26T10:00:00.000Z'),
    receivedAt: Date.parse('2026-11-26T10:00:00.100Z'),
    level: 'info',
    service: 'svc',
    message,
    attributes: { k: message },
    traceId: null,
    spanId: null,
    eventId: null,
    tenant: 'default',
  };
}

/** A version 1 value, as written before tenants existed. */
function encodeV1(e: LogEntry): string {
  const [, ...fields] = JSON.parse(encodeLogEntry(e)) as unknown[];
  return JSON.stringify([1, ...fields.slice(0, 9)]);
}

describe('LogBatchProcessor with chunks against Redis and PostgreSQL', () => {
  const schema = `test_chunks_${randomBytes(4).toString('hex')}`;
  let dataSource: DataSource;
  let redis: Redis;
  let streamOptions: StreamClientOptions & {
    streamKey: string;
    deadLetterStreamKey: string;
    groupName: string;
  };
  const consumers: StreamConsumer[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(false);
    dataSource = await openMigratedSchema(DATABASE_URL, schema);
    // Refuses exactly the messages 'poison...': an entry the decoder accepts and PostgreSQL does not.
    await dataSource.query(
      `ALTER TABLE logs ADD CONSTRAINT logs_no_poison CHECK (message NOT LIKE 'poison%')`,
    );
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
    await dataSource.destroy();
    await redis.quit();
    Logger.overrideLogger(true);
  });

  beforeEach(async () => {
    await dataSource.query('TRUNCATE logs, log_event_ids');
    const suffix = randomBytes(6).toString('hex');
    streamOptions = {
      redisUrl: REDIS_URL,
      streamKey: `test:chunks:${suffix}:stream`,
      deadLetterStreamKey: `test:chunks:${suffix}:dead`,
      groupName: `test-chunks-${suffix}`,
    };
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.onApplicationShutdown()));
    const { streamKey, deadLetterStreamKey } = streamOptions;
    await redis.del(streamKey, deadLetterStreamKey, `${streamKey}:entries`);
  });

  function processorFor(consumerName: string, extra: Partial<StreamClientOptions> = {}) {
    const consumer = new StreamConsumer(
      resolveStreamClientOptions({ ...streamOptions, consumerName, ...extra }),
    );
    consumers.push(consumer);
    const inserter = new RowInserter(new LogBatchWriter(dataSource), config);
    return { consumer, inserter, processor: new LogBatchProcessor(consumer, inserter, config) };
  }

  /** XADD `values` to the (plain) stream and count their entries as ingest's append script does. */
  async function append(
    values: { value: string | Buffer; entries: number }[],
    streamKey = streamOptions.streamKey,
  ) {
    const ids: string[] = [];
    for (const { value, entries } of values) {
      ids.push((await redis.xadd(streamKey, '*', 'data', value)) as string);
      await redis.incrby(`${streamKey}:entries`, entries);
    }
    return ids;
  }

  const chunkOf = (...messages: string[]) => ({
    value: encodeLogChunk(messages.map(entry)),
    entries: messages.length,
  });

  /** A version 4 value: the entries as a client sent them in a JSON array, as ingest queues it. */
  const asSentOf = (...submitted: unknown[]) => {
    const text = JSON.stringify(submitted);
    const [value] = encodeSubmittedChunks(
      { jsonArray: Buffer.from(text), bodyBytes: Buffer.byteLength(text) },
      { receivedAtMs: Date.parse('2026-11-26T10:00:00.100Z'), tenant: 'default' },
      { maxEntries: 1000, maxBytes: 1 << 20 },
    );
    return { value, entries: submitted.length };
  };
  const sent = (message: string) => ({
    timestamp: '2026-11-26T10:00:00.000Z',
    level: 'info',
    service: 'svc',
    message,
    attributes: { k: message },
  });

  async function stored(): Promise<{ stream_id: string; message: string }[]> {
    return dataSource.query('SELECT stream_id, message FROM logs ORDER BY stream_id');
  }

  async function deadLetters(key = streamOptions.deadLetterStreamKey) {
    return (await redis.xrange(key, '-', '+')).map(([, f]) => ({
      sourceId: f[1],
      payload: f[3],
      reason: f[5],
    }));
  }

  const entriesCounter = (streamKey = streamOptions.streamKey) => redis.get(`${streamKey}:entries`);
  const never = new AbortController().signal;

  it('stores every entry of a chunk under <id>#<i>, settles it, and takes its entries off the counter', async () => {
    const { consumer, processor } = processorFor('w1');
    await consumer.ensureGroup();
    const [id] = await append([chunkOf('a', 'b', 'c', 'd', 'e')]);

    const read = await consumer.readNew(10, 500);
    const outcome = await processor.process(read, never, false);

    expect(outcome).toEqual({ inserted: 5, duplicates: 0, deadLettered: 0 });
    expect(await stored()).toEqual(
      ['a', 'b', 'c', 'd', 'e'].map((message, i) => ({ stream_id: `${id}#${i}`, message })),
    );
    expect((await consumer.groupInfo()).pending).toBe(0);
    expect(await entriesCounter()).toBe('0');
  });

  it('stores a chunk redelivered after a crash between commit and acknowledgement once', async () => {
    const first = processorFor('w1');
    await first.consumer.ensureGroup();
    await append([chunkOf('a', 'b', 'c'), chunkOf('d')]);
    const read = await first.consumer.readNew(10, 500);
    // The crash: rows committed, the messages never settled.
    const prepared = await first.processor.prepare(read, never, false);
    await first.inserter.insert(
      prepared.plans.flatMap((plan) => plan.rows),
      never,
    );

    const restarted = processorFor('w1');
    const pending = await restarted.consumer.readPending(10);
    expect(pending.map((m) => m.deliveryCount)).toEqual([2, 2]);
    const outcome = await restarted.processor.process(pending, never, true);

    expect(outcome).toEqual({ inserted: 0, duplicates: 4, deadLettered: 0 });
    expect((await stored()).map((row) => row.message)).toEqual(['a', 'b', 'c', 'd']);
    expect((await restarted.consumer.groupInfo()).pending).toBe(0);
    expect(await entriesCounter()).toBe('0');
  });

  it('dead-letters an entry of a chunk PostgreSQL refuses alone, and one that does not decode alone; stores their neighbours', async () => {
    const { consumer, processor } = processorFor('w1');
    await consumer.ensureGroup();
    const undecodable = JSON.stringify(['not', 'an', 'entry']);
    const [poisoned, broken] = await append([
      chunkOf('a', 'poison-1', 'c', 'd', 'e'),
      {
        value: encodeLogChunkOfEncoded([
          encodeChunkEntry(entry('f')),
          undecodable,
          encodeChunkEntry(entry('g')),
        ]),
        entries: 3,
      },
    ]);

    const outcome = await processor.process(await consumer.readNew(10, 500), never, false);

    expect(outcome).toEqual({ inserted: 6, duplicates: 0, deadLettered: 2 });
    expect((await stored()).map((row) => row.stream_id)).toEqual([
      `${poisoned}#0`,
      `${poisoned}#2`,
      `${poisoned}#3`,
      `${poisoned}#4`,
      `${broken}#0`,
      `${broken}#2`,
    ]);
    const dead = await deadLetters();
    expect(dead).toEqual(
      expect.arrayContaining([
        {
          sourceId: `${poisoned}#1`,
          payload: encodeLogEntry(entry('poison-1')),
          reason: expect.stringMatching(/^rejected by PostgreSQL: .*logs_no_poison.*\(SQLSTATE 23514\)$/),
        },
        {
          sourceId: `${broken}#1`,
          payload: undecodable,
          reason: 'undecodable: expected 10 elements for a chunk entry, got 3',
        },
      ]),
    );
    expect(dead).toHaveLength(2);
    expect((await consumer.groupInfo()).pending).toBe(0);
    expect(await entriesCounter()).toBe('0');
  });

  it('stores a chunk of entries as sent (version 4) as the same rows; one that breaks a rule, or PostgreSQL refuses, is dead-lettered alone', async () => {
    const { consumer, processor } = processorFor('w1');
    await consumer.ensureGroup();
    const broken = { ...sent('b'), level: 'loud' };
    const [id] = await append([asSentOf(sent('a'), broken, sent('poison-2'), sent('c'))]);

    const outcome = await processor.process(await consumer.readNew(10, 500), never, false);

    expect(outcome).toEqual({ inserted: 2, duplicates: 0, deadLettered: 2 });
    expect(await stored()).toEqual([
      { stream_id: `${id}#0`, message: 'a' },
      { stream_id: `${id}#3`, message: 'c' },
    ]);
    const [row] = await dataSource.query(
      `SELECT extract(epoch FROM ts) * 1000 AS ts, extract(epoch FROM received_at) * 1000 AS received, attributes, tenant FROM logs WHERE stream_id = $1`,
      [`${id}#0`],
    );
    expect(row).toMatchObject({ attributes: { k: 'a' }, tenant: 'default' });
    expect(Number(row.ts)).toBe(entry('a').timestamp);
    expect(Number(row.received)).toBe(entry('a').receivedAt);
    const dead = await deadLetters();
    expect(dead).toEqual(
      expect.arrayContaining([
        {
          sourceId: `${id}#1`,
          payload: JSON.stringify(broken),
          reason: expect.stringMatching(/^undecodable: level: /),
        },
        {
          sourceId: `${id}#2`,
          payload: encodeLogEntry(entry('poison-2')),
          reason: expect.stringMatching(/^rejected by PostgreSQL: .*logs_no_poison/),
        },
      ]),
    );
    expect(dead).toHaveLength(2);
    expect((await consumer.groupInfo()).pending).toBe(0);
    expect(await entriesCounter()).toBe('0');
  });

  it('takes the entries of a version 4 chunk dead-lettered whole off the counter', async () => {
    const { consumer, processor } = processorFor('w1');
    await consumer.ensureGroup();
    const chunk = asSentOf(sent('a'), sent('b'), sent('c'));
    await append([chunk, chunkOf('d')]);
    await consumer.readNew(10, 500);
    let pending = await consumer.readPending(10);
    while ((pending[0]?.deliveryCount ?? 0) < 4) pending = await consumer.readPending(10);

    const outcome = await processor.process(pending, never, true);

    expect(outcome.deadLettered).toBe(2);
    expect((await deadLetters()).map((dead) => dead.payload)).toEqual([
      chunk.value.toString(),
      chunkOf('d').value,
    ]);
    expect(await entriesCounter()).toBe('0');
  });

  it('dead-letters a chunk delivered more than MAX_DELIVERIES times whole, as the chunk value', async () => {
    const { consumer, processor } = processorFor('w1');
    await consumer.ensureGroup();
    const chunk = chunkOf('a', 'b');
    const [id] = await append([chunk]);
    await consumer.readNew(10, 500);
    // Redelivered to a worker that crashed each time: the 4th delivery is over MAX_DELIVERIES=2.
    let pending = await consumer.readPending(10);
    while ((pending[0]?.deliveryCount ?? 0) < 4) pending = await consumer.readPending(10);
    expect(pending[0].deliveryCount).toBe(4);

    const outcome = await processor.process(pending, never, true);

    expect(outcome.deadLettered).toBe(1);
    expect(await stored()).toEqual([]);
    expect(await deadLetters()).toEqual([
      { sourceId: id, payload: chunk.value, reason: 'delivered 4 times, over MAX_DELIVERIES=2' },
    ]);
    expect(await entriesCounter()).toBe('0');
  });

  it('drains a stream an older ingest wrote single entries to (versions 1 and 2) alongside chunks (versions 3 and 4)', async () => {
    const { consumer, processor } = processorFor('w1');
    await consumer.ensureGroup();
    // The old entries were written before the counter existed: only the chunks are counted.
    const [v1] = await append([{ value: encodeV1(entry('old-v1')), entries: 0 }]);
    const [v2] = await append([{ value: encodeLogEntry(entry('old-v2')), entries: 0 }]);
    const [chunk] = await append([chunkOf('new-a', 'new-b')]);
    const [asSent] = await append([asSentOf(sent('v4-a'), sent('v4-b'))]);

    const outcome = await processor.process(await consumer.readNew(10, 500), never, false);

    expect(outcome).toEqual({ inserted: 6, duplicates: 0, deadLettered: 0 });
    expect(await stored()).toEqual([
      { stream_id: v1, message: 'old-v1' },
      { stream_id: v2, message: 'old-v2' },
      { stream_id: `${chunk}#0`, message: 'new-a' },
      { stream_id: `${chunk}#1`, message: 'new-b' },
      { stream_id: `${asSent}#0`, message: 'v4-a' },
      { stream_id: `${asSent}#1`, message: 'v4-b' },
    ]);
    expect(await entriesCounter()).toBe('0'); // clamped: the old entries were never counted
  });

  it('with shards, stores a chunk entry under its qualified position s<n>:<id>#<i>', async () => {
    const { consumer, processor } = processorFor('w1', { shardCount: 2 });
    await consumer.ensureGroup();
    const shard1 = consumer.shards[1];
    const [id] = await append([chunkOf('x', 'y')], shard1.streamKey);

    const outcome = await processor.process(await consumer.readNew(10, 500), never, false);

    expect(outcome.inserted).toBe(2);
    expect((await stored()).map((row) => row.stream_id)).toEqual([`s1:${id}#0`, `s1:${id}#1`]);
    expect(await redis.get(shard1.entriesKey)).toBe('0');
    await redis.del(...consumer.shards.flatMap((s) => [s.streamKey, s.deadLetterStreamKey, s.entriesKey]));
  });
});
