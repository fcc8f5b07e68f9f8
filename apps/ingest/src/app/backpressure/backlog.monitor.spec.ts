import type { StreamProducer } from '@logpipe/stream-client';
import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { ServiceUnavailableError } from '../http/http-error.filter';
import type { IngestConfig } from '../ingest.config';
import { BacklogMonitor } from './backlog.monitor';

const settings: Partial<IngestConfig> = {
  BACKLOG_HIGH_WATER: 25,
  BACKLOG_LOW_WATER: 5,
  BACKLOG_CHECK_INTERVAL_MS: 1000,
  RETRY_AFTER_SECONDS: 1,
};
const config = { get: (key: keyof IngestConfig) => settings[key] } as unknown as ConfigService<
  IngestConfig,
  true
>;

/** A monitor whose producer reports `length()` log entries waiting (and a tenth as many stream entries). */
function monitorWithStreamLength(length: () => number) {
  const producer = {
    entryBacklog: async () => ({ total: length(), shards: [length()] }),
    backlog: async () => ({ total: Math.ceil(length() / 10), shards: [Math.ceil(length() / 10)] }),
  } as unknown as StreamProducer;
  return new BacklogMonitor(producer, config);
}

describe('BacklogMonitor.admit', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(true));

  it('lets concurrent writes past a stale length only until they would carry the backlog over the mark', async () => {
    let streamLength = 0;
    const monitor = monitorWithStreamLength(() => streamLength);
    await monitor.check();
    const release: (() => void)[] = [];
    // Ten batches of 10 arrive before any XADD has answered and before the next poll.
    const outcomes = Array.from({ length: 10 }, () =>
      monitor
        .admit(
          10,
          () => new Promise<void>((resolve) => release.push(() => ((streamLength += 10), resolve()))),
        )
        .then(
          () => 'written',
          (error: unknown) => (error instanceof ServiceUnavailableError ? '503' : 'other'),
        ),
    );
    release.forEach((write) => write());
    const results = await Promise.all(outcomes);
    expect(results.filter((r) => r === 'written')).toHaveLength(3);
    expect(results.filter((r) => r === '503')).toHaveLength(7);
    // At most the high-water mark plus the one batch that crossed it.
    expect(streamLength).toBe(30);
  });

  it('does not count a write twice when an XLEN that includes it is handled before its own answer', async () => {
    let streamLength = 0;
    const monitor = monitorWithStreamLength(() => streamLength);
    await monitor.check();
    // Redis has applied this write of 20 (the XLEN below counts it), but its answer is not handled yet.
    let answer!: () => void;
    const pending = monitor.admit(20, () => {
      streamLength += 20;
      return new Promise<void>((resolve) => (answer = resolve));
    });
    await monitor.check();
    // 20 waiting, not 40: under the high-water mark of 25.
    await expect(monitor.admit(1, async () => void (streamLength += 1))).resolves.toBeUndefined();
    answer();
    await pending;
  });

  it('names a number in the 503 even before the first poll has answered', async () => {
    const monitor = monitorWithStreamLength(() => 0);
    // Writes that Redis has not answered yet.
    const never = () => new Promise<void>(() => undefined);
    void monitor.admit(20, never);
    void monitor.admit(10, never);
    await expect(monitor.admit(1, async () => undefined)).rejects.toThrow(
      'the pipeline is behind: at least 30 entries wait to be stored (BACKLOG_HIGH_WATER=25)',
    );
  });

  it('counts writes made since the last poll, and accepts again once a poll finds the backlog under the low-water mark', async () => {
    let streamLength = 0;
    const monitor = monitorWithStreamLength(() => streamLength);
    await monitor.check();
    for (let i = 0; i < 3; i++) await monitor.admit(10, async () => void (streamLength += 10));
    await expect(monitor.admit(1, async () => undefined)).rejects.toBeInstanceOf(ServiceUnavailableError);

    streamLength = 10; // the workers drained some, but not below the low-water mark
    await monitor.check();
    await expect(monitor.admit(1, async () => undefined)).rejects.toBeInstanceOf(ServiceUnavailableError);

    streamLength = 5;
    await monitor.check();
    await expect(monitor.admit(1, async () => 'id')).resolves.toBe('id');
    expect(monitor.state.accepting).toBe(true);
  });

  it('does not count writes that the last XLEN already saw a second time', async () => {
    let streamLength = 0;
    const monitor = monitorWithStreamLength(() => streamLength);
    await monitor.check();
    for (let i = 0; i < 4; i++) await monitor.admit(5, async () => void (streamLength += 5));
    await monitor.check(); // XLEN = 20, which includes the four writes
    await expect(monitor.admit(5, async () => void (streamLength += 5))).resolves.toBeUndefined();
    await expect(monitor.admit(1, async () => undefined)).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it('does not count a write that failed against the backlog', async () => {
    const monitor = monitorWithStreamLength(() => 0);
    await monitor.check();
    await expect(monitor.admit(20, async () => Promise.reject(new Error('Redis down')))).rejects.toThrow(
      'Redis down',
    );
    await expect(monitor.admit(20, async () => 'ok')).resolves.toBe('ok');
  });
});

describe('BacklogMonitor.check', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(true));

  it('keeps counting a write issued after a poll even when its answer arrives before the poll is processed', async () => {
    let streamLength = 0;
    let answerXlen: (length: number) => void = () => undefined;
    const producer = {
      entryBacklog: () =>
        new Promise((resolve) => (answerXlen = (total) => resolve({ total, shards: [total] }))),
      backlog: async () => ({ total: 0, shards: [0] }),
    } as unknown as StreamProducer;
    const monitor = new BacklogMonitor(producer, config);
    const polling = monitor.check();
    const xlenSaw = streamLength; // the XLEN was issued before the write below
    await monitor.admit(20, async () => void (streamLength += 20));
    answerXlen(xlenSaw);
    await polling;
    expect(monitor.state.entries).toBe(0);
    // 0 in the stream per the XLEN + 20 written after it: one more write (20 < 25) reaches the mark.
    await expect(monitor.admit(5, async () => undefined)).resolves.toBeUndefined();
    await expect(monitor.admit(1, async () => undefined)).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it('forgets a failed write once a poll is answered that was sent after it, and not before', async () => {
    let answerPoll: (total: number) => void = () => undefined;
    const producer = {
      entryBacklog: () =>
        new Promise((resolve) => (answerPoll = (total) => resolve({ total, shards: [total] }))),
      backlog: async () => ({ total: 0, shards: [0] }),
    } as unknown as StreamProducer;
    const monitor = new BacklogMonitor(producer, config);
    const firstPoll = monitor.check();
    answerPoll(0);
    await firstPoll;
    let failBefore: (error: Error) => void = () => undefined;
    let failAfter: (error: Error) => void = () => undefined;
    // Issued before the second poll is sent (so that poll would count it, had Redis stored it) ...
    const before = monitor.admit(10, () => new Promise((_, reject) => (failBefore = reject)));
    const secondPoll = monitor.check();
    // ... and after: no answered poll counts it.
    const after = monitor.admit(10, () => new Promise((_, reject) => (failAfter = reject)));
    failBefore(new Error('Redis down'));
    await expect(before).rejects.toThrow('Redis down');
    // The 10 in flight counted, the failed 10 not: 15 more reach the mark (25), and the next is refused.
    await expect(monitor.admit(15, async () => undefined)).resolves.toBeUndefined();
    await expect(monitor.admit(1, async () => undefined)).rejects.toBeInstanceOf(ServiceUnavailableError);
    // The poll, sent after the failed write, found nothing of it; the 10 in flight and the 15 come after it.
    answerPoll(0);
    await secondPoll;
    failAfter(new Error('Redis down'));
    await expect(after).rejects.toThrow('Redis down');
    // Only the 15 uncovered now: 10 more reach the mark, and the next is refused.
    await expect(monitor.admit(10, async () => undefined)).resolves.toBeUndefined();
    await expect(monitor.admit(1, async () => undefined)).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});

describe('BacklogMonitor.state', () => {
  it('reports the backlog in log entries (the counters) and the stream length in stream entries (XLEN)', async () => {
    const monitor = monitorWithStreamLength(() => 1000);
    expect(monitor.state).toMatchObject({ entries: null, streamEntries: null });
    await monitor.check();
    expect(monitor.state).toMatchObject({
      entries: 1000,
      entriesByShard: [1000],
      streamEntries: 100,
      streamEntriesByShard: [100],
    });
  });
});
