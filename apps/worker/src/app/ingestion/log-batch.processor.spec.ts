import { encodeChunkEntry, encodeLogChunkOfEncoded, encodeLogEntry } from '@logpipe/log-schema';
import { decodeLogRow, type EncodedLogRow, type StoredLogEntry } from '@logpipe/log-store';
import type { SettledMessage } from '@logpipe/stream-client';
import { LogBatchProcessor } from './log-batch.processor';
import { RowInserter } from './row-inserter.service';
import { ShutdownInterruptedError } from './shutdown-interrupted.error';
import { chunk, entry, message } from './testing/stream-messages';

// Unit tests with in-memory fakes of the stream consumer and the writer: they pin down the order of
// effects (insert before ack, dead-letter what cannot be stored) that the e2e tests prove for real.

const CONFIG: Record<string, unknown> = {
  BATCH_SIZE: 100,
  MAX_DELIVERIES: 3,
  POISON_MAX_ATTEMPTS: 2,
  RETRY_BASE_MS: 10,
  RETRY_MAX_MS: 20,
};

class FakeConsumer {
  readonly effects: string[] = [];
  deliveries = new Map<string, number>();
  readonly settled: SettledMessage[] = [];
  async settle(messages: readonly SettledMessage[]) {
    const dead = messages.flatMap((m) => m.deadLetters);
    if (dead.length > 0) this.effects.push(`dead ${dead.map((i) => `${i.id}:${i.reason}`).join(' | ')}`);
    this.effects.push(`ack ${messages.map((m) => m.id).join(',')}`);
    this.settled.push(...messages);
    return { acknowledged: messages.length, droppedByCount: 0, droppedByAge: 0 };
  }
  async deliveryCounts() {
    return this.deliveries;
  }
}

class FakeWriter {
  /** Called before each insert; throw from it to simulate a failure. */
  failWhen: (entries: readonly StoredLogEntry[]) => void = () => undefined;
  constructor(private readonly effects: string[]) {}
  async insertEncoded(rows: readonly EncodedLogRow[]) {
    const entries = rows.map(decodeLogRow);
    this.failWhen(entries);
    this.effects.push(`insert ${entries.map((e) => e.streamId).join(',')}`);
    return { inserted: rows.length, duplicates: 0 };
  }
}

function setup() {
  const consumer = new FakeConsumer();
  const writer = new FakeWriter(consumer.effects);
  const config = { get: (key: string) => CONFIG[key] };
  const inserter = new RowInserter(writer as never, config as never);
  const processor = new LogBatchProcessor(consumer as never, inserter, config as never);
  return { consumer, writer, processor };
}

const dataError = (text: string) => Object.assign(new Error(text), { code: '23514' });
const outage = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

describe('LogBatchProcessor', () => {
  it('inserts the batch, then acknowledges exactly its ids', async () => {
    const { consumer, processor } = setup();
    const outcome = await processor.process(
      [message('1-0', 'a'), message('1-1', 'b')],
      new AbortController().signal,
      false,
    );
    expect(outcome).toEqual({ inserted: 2, duplicates: 0, deadLettered: 0 });
    expect(consumer.effects).toEqual(['insert 1-0,1-1', 'ack 1-0,1-1']);
  });

  it('dead-letters an undecodable message and stores the rest of the batch', async () => {
    const { consumer, processor } = setup();
    const batch = [
      message('2-0', 'a'),
      { id: '2-1', payload: 'garbage' },
      { id: '2-2', payload: null },
      message('2-3', 'b'),
    ];
    const outcome = await processor.process(batch, new AbortController().signal, false);
    expect(outcome.deadLettered).toBe(2);
    expect(consumer.effects[0]).toBe('insert 2-0,2-3');
    expect(consumer.effects[1]).toMatch(/^dead 2-1:undecodable: .* \| 2-2:undecodable: /);
    expect(consumer.effects[2]).toBe('ack 2-0,2-1,2-2,2-3');
    expect(consumer.settled.find((m) => m.id === '2-2')?.gone).toBe(true);
  });

  it('dead-letters a compressed value that did not uncompress with its bytes, and stores its neighbours', async () => {
    const { consumer, processor } = setup();
    const corrupt = { value: 'AAEC', reason: 'data.snappy does not uncompress: Invalid input' };
    const batch = [message('3-0', 'a'), { id: '3-1', payload: null, corrupt }, message('3-2', 'b')];
    const outcome = await processor.process(batch, new AbortController().signal, false);
    expect(outcome.deadLettered).toBe(1);
    expect(consumer.effects).toEqual([
      'insert 3-0,3-2',
      'dead 3-1:undecodable: data.snappy does not uncompress: Invalid input',
      'ack 3-0,3-1,3-2',
    ]);
    const settled = consumer.settled.find((m) => m.id === '3-1');
    expect(settled?.deadLetters).toEqual([{ id: '3-1', payload: 'AAEC', reason: expect.any(String) }]);
    // Not gone (it is in the stream), and counted as one entry: how many it held is unknown.
    expect([settled?.gone, settled?.entries]).toEqual([false, 1]);
  });

  it('isolates an entry PostgreSQL refuses by bisection and dead-letters it after POISON_MAX_ATTEMPTS', async () => {
    const { consumer, writer, processor } = setup();
    let attemptsOnPoison = 0;
    writer.failWhen = (entries) => {
      if (entries.some((e) => e.message === 'poison')) {
        if (entries.length === 1) attemptsOnPoison++;
        throw dataError('new row violates check constraint');
      }
    };
    const batch = ['a', 'b', 'poison', 'c', 'd'].map((text, i) => message(`3-${i}`, text));
    const outcome = await processor.process(batch, new AbortController().signal, false);
    expect(outcome).toEqual({ inserted: 4, duplicates: 0, deadLettered: 1 });
    expect(attemptsOnPoison).toBe(2);
    const inserted = consumer.effects
      .filter((e) => e.startsWith('insert'))
      .flatMap((e) => e.slice(7).split(','));
    expect(inserted.sort()).toEqual(['3-0', '3-1', '3-3', '3-4']);
    expect(consumer.effects.find((e) => e.startsWith('dead'))).toMatch(
      /^dead 3-2:rejected by PostgreSQL: new row violates check constraint \(SQLSTATE 23514\)$/,
    );
    expect(consumer.effects.at(-1)).toBe('ack 3-0,3-1,3-2,3-3,3-4');
  });

  it('keeps retrying while the database is unreachable, never acknowledging, and reports the outage', async () => {
    const { consumer, writer, processor } = setup();
    let failures = 3;
    const seenUnavailable: boolean[] = [];
    writer.failWhen = () => {
      seenUnavailable.push(processor.isDatabaseAvailable);
      if (failures-- > 0) throw outage();
    };
    await processor.process([message('4-0', 'a')], new AbortController().signal, false);
    expect(seenUnavailable).toEqual([true, false, false, false]);
    expect(processor.isDatabaseAvailable).toBe(true);
    expect(consumer.effects).toEqual(['insert 4-0', 'ack 4-0']);
  });

  it('gives up without acknowledging when the shutdown budget is spent during an outage', async () => {
    const { consumer, writer, processor } = setup();
    writer.failWhen = () => {
      throw outage();
    };
    const giveUp = new AbortController();
    setTimeout(() => giveUp.abort(), 50);
    await expect(processor.process([message('5-0', 'a')], giveUp.signal, false)).rejects.toBeInstanceOf(
      ShutdownInterruptedError,
    );
    expect(consumer.effects).toEqual([]);
  });

  it('dead-letters a redelivered entry seen more than MAX_DELIVERIES times instead of trying it again', async () => {
    const { consumer, processor } = setup();
    consumer.deliveries = new Map([
      ['6-0', 4],
      ['6-1', 1],
    ]);
    const outcome = await processor.process(
      [message('6-0', 'crashes workers'), message('6-1', 'fine')],
      new AbortController().signal,
      true,
    );
    expect(outcome.deadLettered).toBe(1);
    expect(consumer.effects).toEqual([
      'insert 6-1',
      'dead 6-0:delivered 4 times, over MAX_DELIVERIES=3',
      'ack 6-0,6-1',
    ]);
  });

  it('stores each entry of a chunk under <id>#<i> and settles the chunk once, counting its entries', async () => {
    const { consumer, processor } = setup();
    const outcome = await processor.process(
      [chunk('7-0', ['a', 'b', 'c']), message('7-1', 'd')],
      new AbortController().signal,
      false,
    );
    expect(outcome).toEqual({ inserted: 4, duplicates: 0, deadLettered: 0 });
    expect(consumer.effects).toEqual(['insert 7-0#0,7-0#1,7-0#2,7-1', 'ack 7-0,7-1']);
    expect(consumer.settled.map((m) => [m.id, m.entries])).toEqual([
      ['7-0', 3],
      ['7-1', 1],
    ]);
  });

  it('dead-letters an undecodable entry of a chunk alone and stores its neighbours', async () => {
    const { consumer, processor } = setup();
    const broken = JSON.stringify(['not', 'an', 'entry']);
    const value = encodeLogChunkOfEncoded([
      encodeChunkEntry(entry('a')),
      broken,
      encodeChunkEntry(entry('c')),
    ]);
    const outcome = await processor.process(
      [{ id: '8-0', payload: value }],
      new AbortController().signal,
      false,
    );
    expect(outcome).toEqual({ inserted: 2, duplicates: 0, deadLettered: 1 });
    expect(consumer.effects[0]).toBe('insert 8-0#0,8-0#2');
    expect(consumer.effects[1]).toMatch(/^dead 8-0#1:undecodable: expected 10 elements/);
    expect(consumer.settled[0].deadLetters[0].payload).toBe(broken);
    expect(consumer.settled[0].entries).toBe(3);
  });

  it('dead-letters an entry of a chunk PostgreSQL refuses alone, as its own single-entry value', async () => {
    const { consumer, writer, processor } = setup();
    writer.failWhen = (entries) => {
      if (entries.some((e) => e.message === 'poison')) throw dataError('refused');
    };
    const outcome = await processor.process(
      [chunk('9-0', ['a', 'poison', 'c'])],
      new AbortController().signal,
      false,
    );
    expect(outcome).toEqual({ inserted: 2, duplicates: 0, deadLettered: 1 });
    const [letter] = consumer.settled[0].deadLetters;
    expect(letter.id).toBe('9-0#1');
    expect(letter.payload).toBe(encodeLogEntry(entry('poison')));
    expect(consumer.effects.at(-1)).toBe('ack 9-0');
  });

  it('dead-letters a chunk delivered more than MAX_DELIVERIES times whole, counting its entries', async () => {
    const { consumer, processor } = setup();
    consumer.deliveries = new Map([['10-0', 4]]);
    const value = chunk('10-0', ['a', 'b']);
    await processor.process([value], new AbortController().signal, true);
    expect(consumer.effects).toEqual(['dead 10-0:delivered 4 times, over MAX_DELIVERIES=3', 'ack 10-0']);
    expect(consumer.settled[0]).toMatchObject({ entries: 2, deadLetters: [{ payload: value.payload }] });
  });

  it('inserts at most BATCH_SIZE rows per statement', async () => {
    const { consumer, processor } = setup();
    CONFIG.BATCH_SIZE = 2;
    try {
      await processor.process(
        [chunk('11-0', ['a', 'b', 'c']), message('11-1', 'd')],
        new AbortController().signal,
        false,
      );
    } finally {
      CONFIG.BATCH_SIZE = 100;
    }
    expect(consumer.effects).toEqual(['insert 11-0#0,11-0#1', 'insert 11-0#2,11-1', 'ack 11-0,11-1']);
  });
});
