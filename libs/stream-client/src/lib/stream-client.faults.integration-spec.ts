import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveStreamClientOptions, type StreamClientOptions } from './stream-client.options';
import { StreamConsumer } from './stream-consumer.service';
import { StreamProducer, TRANSACTION_MIN_BYTES } from './stream-producer.service';
import { StreamUnavailableError } from './stream-unavailable.error';
import { PrivateRedisServer } from './testing/private-redis-server';
import { createInspector, uniqueStreamNames } from './testing/stream-test-names';

jest.setTimeout(30_000);

const COMMAND_TIMEOUT_MS = 1000;
// The brief allows "about a second": the command timeout plus scheduling slack on a busy 2-core box.
const FAIL_FAST_LIMIT_MS = 1500;

function optionsFor(redisUrl: string, extra: Partial<StreamClientOptions> = {}) {
  return resolveStreamClientOptions({
    redisUrl,
    ...uniqueStreamNames(),
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    ...extra,
  });
}

async function timed<T>(work: Promise<T>): Promise<{ elapsedMs: number; result: PromiseSettledResult<T> }> {
  const started = Date.now();
  const [result] = await Promise.allSettled([work]);
  return { elapsedMs: Date.now() - started, result };
}

function rejectionOf<T>(result: PromiseSettledResult<T>): unknown {
  if (result.status !== 'rejected') {
    throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
  }
  return result.reason;
}

/** Retries `attempt` until it succeeds or the deadline passes, sleeping between tries. */
async function eventually<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await sleep(100);
    }
  }
}

describe('StreamProducer when Redis is unreachable', () => {
  let producer: StreamProducer;

  beforeEach(async () => {
    // Nothing listens on port 1, so every connection attempt is refused.
    producer = new StreamProducer(optionsFor('redis://127.0.0.1:1/0'));
    await producer.onModuleInit();
  });

  afterEach(async () => {
    await producer.onApplicationShutdown();
  });

  it('ping resolves false within the command timeout instead of throwing', async () => {
    const { elapsedMs, result } = await timed(producer.ping());

    expect(result).toEqual({ status: 'fulfilled', value: false });
    expect(elapsedMs).toBeLessThan(FAIL_FAST_LIMIT_MS);
    expect(producer.isReady).toBe(false);
  });

  it('append and appendMany reject with StreamUnavailableError within about a second', async () => {
    const single = await timed(producer.append('x'));
    const batch = await timed(producer.appendMany(['x', 'y']));

    expect(rejectionOf(single.result)).toBeInstanceOf(StreamUnavailableError);
    expect(rejectionOf(batch.result)).toBeInstanceOf(StreamUnavailableError);
    expect(single.elapsedMs).toBeLessThan(FAIL_FAST_LIMIT_MS);
    expect(batch.elapsedMs).toBeLessThan(FAIL_FAST_LIMIT_MS);
  });
});

describe('stream client against a private redis-server that hangs, dies and restarts', () => {
  let server: PrivateRedisServer;
  let inspector: Redis;
  const closeables: { onApplicationShutdown(): Promise<void> }[] = [];

  function track<T extends { onApplicationShutdown(): Promise<void> }>(service: T): T {
    closeables.push(service);
    return service;
  }

  beforeEach(async () => {
    server = await PrivateRedisServer.start();
    inspector = createInspector(server.url);
  });

  afterEach(async () => {
    await Promise.all(closeables.splice(0).map((service) => service.onApplicationShutdown()));
    inspector.disconnect();
    await server.destroy();
  });

  it('a hung Redis (SIGSTOP) makes append and ping fail within the command timeout; writes resume after SIGCONT', async () => {
    const producer = track(new StreamProducer(optionsFor(server.url)));
    await producer.onModuleInit();
    expect(await producer.ping()).toBe(true);
    await producer.append('before the hang');

    server.pause();
    const append = await timed(producer.append('during the hang'));
    const ping = await timed(producer.ping());
    server.resume();

    expect(rejectionOf(append.result)).toBeInstanceOf(StreamUnavailableError);
    expect(append.elapsedMs).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 50);
    expect(append.elapsedMs).toBeLessThan(FAIL_FAST_LIMIT_MS);
    expect(ping.result).toEqual({ status: 'fulfilled', value: false });
    expect(ping.elapsedMs).toBeLessThan(FAIL_FAST_LIMIT_MS);
    expect(await eventually(() => producer.append('after the hang'), 5000)).toMatch(/^\d+-\d+$/);
  });

  it('appends refused by an out-of-memory Redis write nothing, count nothing and reject with StreamUnavailableError', async () => {
    const options = optionsFor(server.url);
    const producer = track(new StreamProducer(options));
    await producer.onModuleInit();
    await producer.append('fits');
    await producer.appendChunks(['chunk of 3'], 3);
    await inspector.config('SET', 'maxmemory', '1');
    // Values this large go in a MULTI/EXEC instead of the script: Redis refuses it whole (EXECABORT).
    const large = 'x'.repeat(TRANSACTION_MIN_BYTES);

    const results = await Promise.allSettled<unknown>([
      producer.appendMany(['a', 'b', 'c']),
      producer.appendChunks(['chunk of 500', 'chunk of 20'], 520),
      producer.appendChunks(['small', large], 700),
      producer.append('single'),
    ]);

    await inspector.config('SET', 'maxmemory', '0');
    for (const result of results) expect(rejectionOf(result)).toBeInstanceOf(StreamUnavailableError);
    expect(await inspector.xlen(options.streamKey)).toBe(2);
    // The counter still equals the entries written: 1 + 3.
    expect(await inspector.get(`${options.streamKey}:entries`)).toBe('4');
  });

  it('the producer fails fast while Redis is down and reconnects by itself when it is back', async () => {
    const producer = track(new StreamProducer(optionsFor(server.url)));
    await producer.onModuleInit();
    await producer.append('before');

    await server.kill();
    const down = await timed(producer.append('while down'));
    await server.launch();

    expect(rejectionOf(down.result)).toBeInstanceOf(StreamUnavailableError);
    expect(down.elapsedMs).toBeLessThan(FAIL_FAST_LIMIT_MS);
    expect(await eventually(() => producer.append('after'), 10_000)).toMatch(/^\d+-\d+$/);
    expect(producer.isReady).toBe(true);
  });

  it('a consumer survives a restart of Redis: readNew resumes and recreates the vanished group', async () => {
    const options = optionsFor(server.url, { consumerName: 'survivor' });
    const producer = track(new StreamProducer(options));
    const consumer = track(new StreamConsumer(options));
    await consumer.ensureGroup();
    await producer.append('before restart');
    expect((await consumer.readNew(10, 1000)).map((m) => m.payload)).toEqual(['before restart']);

    await server.kill();
    // Redis restarted without persistence: stream and group are gone. Whatever the reads in between
    // report, once Redis is back readNew must deliver again without any help from the caller.
    const reading = consumer.readNew(10, 8000);
    await sleep(300);
    await server.launch();
    const id = await eventually(() => producer.append('after restart'), 10_000);

    const delivered = await reading.catch(async (error: unknown) => {
      expect(error).toBeInstanceOf(StreamUnavailableError);
      return consumer.readNew(10, 5000);
    });
    expect(delivered).toEqual([{ id, payload: 'after restart', deliveryCount: 1 }]);
    const groups = (await inspector.xinfo('GROUPS', options.streamKey)) as unknown[];
    expect(groups).toHaveLength(1);
  });

  it('a readNew waiting across a short outage returns the entry written after Redis came back', async () => {
    const options = optionsFor(server.url, { consumerName: 'waiter' });
    const producer = track(new StreamProducer(options));
    const consumer = track(new StreamConsumer(options));
    await consumer.ensureGroup();

    const reading = consumer.readNew(10, 10_000);
    await sleep(300);
    await server.kill();
    await sleep(300);
    await server.launch();
    const id = await eventually(() => producer.append('after outage'), 5000);

    expect(await reading).toEqual([{ id, payload: 'after outage', deliveryCount: 1 }]);
  });

  it('consumer commands fail with StreamUnavailableError while Redis is hung, without hanging', async () => {
    const options = optionsFor(server.url);
    const consumer = track(new StreamConsumer(options));
    await consumer.ensureGroup();
    // Connect the blocking connection too, so the hang hits commands rather than the handshake.
    expect(await consumer.readNew(10, 0)).toEqual([]);

    server.pause();
    const ack = await timed(consumer.ack(['1-0']));
    const read = await timed(consumer.readNew(10, 300));
    server.resume();

    expect(rejectionOf(ack.result)).toBeInstanceOf(StreamUnavailableError);
    expect(ack.elapsedMs).toBeLessThan(FAIL_FAST_LIMIT_MS);
    // The blocking guard ends the read after its BLOCK time plus the grace even though no reply came.
    expect(read.result).toEqual({ status: 'fulfilled', value: [] });
    expect(read.elapsedMs).toBeLessThan(300 + COMMAND_TIMEOUT_MS + 500);
  });
});
