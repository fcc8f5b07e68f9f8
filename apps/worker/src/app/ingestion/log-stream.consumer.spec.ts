import { Logger } from '@nestjs/common';
import { StreamUnavailableError, type StreamMessage } from '@logpipe/stream-client';
import { sleep } from './backoff';
import { LogStreamConsumer } from './log-stream.consumer';

// The consumer loop with an in-memory stream: what happens when the read-ahead of the next batch
// fails because Redis went away (the fault e2e suite kills Redis for real; this pins the cause).

const CONFIG: Record<string, unknown> = {
  BATCH_SIZE: 10,
  BATCH_MAX_WAIT_MS: 5,
  CLAIM_IDLE_MS: 60000,
  CLAIM_INTERVAL_MS: 60000,
  TRIM_INTERVAL_MS: 60000,
  RETRY_BASE_MS: 10,
  RETRY_MAX_MS: 20,
  SHUTDOWN_TIMEOUT_MS: 1000,
  MAX_BATCHES_IN_FLIGHT: 2,
  BATCH_LINGER_MS: 0,
  READ_MAX_BYTES: 4 * 1_048_576,
};

const batch = (...ids: string[]): StreamMessage[] => ids.map((id) => ({ id, payload: '{}' }));

/** A processor whose store step calls `process` with the messages of the read (one entry each). */
function fakeProcessor(process: (messages: StreamMessage[]) => Promise<void>) {
  return {
    prepare: async (messages: StreamMessage[]) => ({
      plans: messages,
      entries: messages.length,
      largestMessage: 1,
    }),
    store: (prepared: { plans: StreamMessage[] }) => process(prepared.plans),
  };
}

/** Reads answer from `script` in order (a message list, or an error to throw), then nothing. */
class ScriptedStream {
  readonly consumerName = 'unit';
  /** performance.now() of every readNew call. */
  readonly readTimes: number[] = [];
  constructor(private readonly script: (StreamMessage[] | Error)[]) {}
  async ensureGroup() {
    return undefined;
  }
  async readPending() {
    return [];
  }
  async claimIdle() {
    return [];
  }
  async trimAcknowledged() {
    return 0;
  }
  async readNew(): Promise<StreamMessage[]> {
    this.readTimes.push(performance.now());
    const next = this.script.shift();
    if (next instanceof Error) throw next;
    if (next) return next;
    await sleep(5);
    return [];
  }
  stop() {
    return undefined;
  }
}

describe('LogStreamConsumer', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(true));

  it('goes on reading after a read of the next batch failed, instead of rethrowing that error forever', async () => {
    // Batch A is read; the read-ahead started while A is stored fails (Redis gone); later reads work again.
    const stream = new ScriptedStream([
      batch('1-0'),
      new StreamUnavailableError('Redis not ready within 1000 ms (status reconnecting)'),
      batch('2-0'),
    ]);
    const processed: string[] = [];
    const processor = fakeProcessor(
      async (messages: StreamMessage[]) => void processed.push(...messages.map((m) => m.id)),
    );
    const consumer = new LogStreamConsumer(
      stream as never,
      processor as never,
      { get: (key: string) => CONFIG[key] } as never,
    );

    consumer.onApplicationBootstrap();
    const deadline = Date.now() + 3000;
    while (!processed.includes('2-0') && Date.now() < deadline) await sleep(10);
    await consumer.beforeApplicationShutdown('SIGTERM');

    expect(processed).toEqual(['1-0', '2-0']);
    expect(consumer.state).toBe('stopped');
  });
});

describe('LogStreamConsumer batches in flight', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(true));

  function consumerWith(
    script: (StreamMessage[] | Error)[],
    process: (messages: StreamMessage[]) => Promise<void>,
  ) {
    return new LogStreamConsumer(
      new ScriptedStream(script) as never,
      fakeProcessor(process) as never,
      { get: (key: string) => CONFIG[key] } as never,
    );
  }

  it('stores up to MAX_BATCHES_IN_FLIGHT batches at once, never more', async () => {
    let running = 0;
    let most = 0;
    const done: string[] = [];
    const consumer = consumerWith(
      [batch('1-0'), batch('2-0'), batch('3-0'), batch('4-0')],
      async (messages) => {
        running++;
        most = Math.max(most, running);
        await sleep(50);
        running--;
        done.push(messages[0].id);
      },
    );
    consumer.onApplicationBootstrap();
    const deadline = Date.now() + 3000;
    while (done.length < 4 && Date.now() < deadline) await sleep(10);
    await consumer.beforeApplicationShutdown('SIGTERM');
    expect(done.sort()).toEqual(['1-0', '2-0', '3-0', '4-0']);
    expect(most).toBe(2);
  });

  it('finishes the batches in flight before it reports stopped', async () => {
    const done: string[] = [];
    let started = 0;
    const consumer = consumerWith([batch('1-0'), batch('2-0')], async (messages) => {
      started++;
      await sleep(200);
      done.push(messages[0].id);
    });
    consumer.onApplicationBootstrap();
    while (started < 2) await sleep(5);
    await consumer.beforeApplicationShutdown('SIGTERM');
    expect(done.sort()).toEqual(['1-0', '2-0']);
    expect(consumer.state).toBe('stopped');
  });
});

describe('LogStreamConsumer linger', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(true));

  async function readGaps(script: StreamMessage[][], lingerMs: number): Promise<number[]> {
    const stream = new ScriptedStream(script);
    const stored: string[] = [];
    const consumer = new LogStreamConsumer(
      stream as never,
      fakeProcessor(
        async (messages: StreamMessage[]) => void stored.push(...messages.map((m) => m.id)),
      ) as never,
      { get: (key: string) => ({ ...CONFIG, BATCH_LINGER_MS: lingerMs })[key] } as never,
    );
    const expected = script.flat().length;
    consumer.onApplicationBootstrap();
    const deadline = Date.now() + 3000;
    while (stored.length < expected && Date.now() < deadline) await sleep(5);
    await consumer.beforeApplicationShutdown('SIGTERM');
    expect(stored).toHaveLength(expected);
    return stream.readTimes.slice(1, script.length).map((t, i) => t - stream.readTimes[i]);
  }

  const full = (first: number) => batch(...Array.from({ length: 10 }, (_, i) => `${first + i}-0`));

  it('waits BATCH_LINGER_MS after a short read, so the next batch can gather', async () => {
    const gaps = await readGaps([batch('1-0'), batch('2-0'), batch('3-0')], 120);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(110);
  });

  it('reads again at once after a full batch: a backlog drains at full speed', async () => {
    const gaps = await readGaps([full(1), full(11), full(21)], 120);
    expect(Math.max(...gaps)).toBeLessThan(100);
  });
});
