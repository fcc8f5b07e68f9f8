import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_DEAD_LETTER_STREAM_KEY,
  DEFAULT_GROUP_NAME,
  DEFAULT_STREAM_KEY,
  defaultConsumerName,
  resolveStreamClientOptions,
} from './stream-client.options';
import { hostname } from 'node:os';

describe('resolveStreamClientOptions', () => {
  it('fills in the documented defaults', () => {
    const resolved = resolveStreamClientOptions({ redisUrl: 'redis://127.0.0.1:6379/0' });

    expect(resolved).toMatchObject({
      streamKey: DEFAULT_STREAM_KEY,
      groupName: DEFAULT_GROUP_NAME,
      deadLetterStreamKey: DEFAULT_DEAD_LETTER_STREAM_KEY,
      commandTimeoutMs: DEFAULT_COMMAND_TIMEOUT_MS,
      // The dead-letter stream is unbounded unless the application bounds it (the worker does).
      deadLetterMaxEntries: 0,
      deadLetterMaxAgeMs: 0,
    });
    expect([DEFAULT_STREAM_KEY, DEFAULT_GROUP_NAME, DEFAULT_DEAD_LETTER_STREAM_KEY]).toEqual([
      'logs:stream',
      'log-workers',
      'logs:dead',
    ]);
  });

  it('keeps values that were given', () => {
    const resolved = resolveStreamClientOptions({
      redisUrl: 'rediss://cache.internal:6380/2',
      streamKey: 's',
      groupName: 'g',
      deadLetterStreamKey: 'd',
      consumerName: 'c',
      commandTimeoutMs: 250,
      connectionName: 'logpipe-ingest',
      deadLetterMaxEntries: 1000,
      deadLetterMaxAgeMs: 3_600_000,
      clusterNodes: ['10.0.0.1:7000', 'redis-b:7001'],
      shardCount: 4,
      waitReplicas: 1,
      compressMinBytes: 0,
    });

    expect(resolved).toEqual({
      redisUrl: 'rediss://cache.internal:6380/2',
      clusterNodes: ['10.0.0.1:7000', 'redis-b:7001'],
      shardCount: 4,
      streamKey: 's',
      groupName: 'g',
      deadLetterStreamKey: 'd',
      consumerName: 'c',
      commandTimeoutMs: 250,
      connectionName: 'logpipe-ingest',
      deadLetterMaxEntries: 1000,
      deadLetterMaxAgeMs: 3_600_000,
      waitReplicas: 1,
      compressMinBytes: 0,
    });
  });

  it.each([
    [{ redisUrl: 'http://127.0.0.1:6379' }, /redisUrl/],
    [{ redisUrl: '' }, /redisUrl/],
    [{ redisUrl: 'redis://x', streamKey: '' }, /streamKey/],
    [{ redisUrl: 'redis://x', shardCount: 0 }, /shardCount/],
    [{ redisUrl: 'redis://x', waitReplicas: -1 }, /waitReplicas/],
    [{ redisUrl: 'redis://x', compressMinBytes: -1 }, /compressMinBytes/],
    [{ redisUrl: 'redis://x', shardCount: 65 }, /shardCount/],
    [{ redisUrl: 'redis://x', clusterNodes: ['10.0.0.1'] }, /clusterNodes/],
    [{ redisUrl: 'redis://x', groupName: '' }, /groupName/],
    [{ redisUrl: 'redis://x', consumerName: '' }, /consumerName/],
    [{ redisUrl: 'redis://x', deadLetterStreamKey: DEFAULT_STREAM_KEY }, /deadLetterStreamKey/],
    [{ redisUrl: 'redis://x', commandTimeoutMs: 0 }, /commandTimeoutMs/],
    [{ redisUrl: 'redis://x', commandTimeoutMs: 1.5 }, /commandTimeoutMs/],
    [{ redisUrl: 'redis://x', connectionName: 'has space' }, /connectionName/],
    [{ redisUrl: 'redis://x', deadLetterMaxEntries: -1 }, /deadLetterMaxEntries/],
    [{ redisUrl: 'redis://x', deadLetterMaxAgeMs: 0.5 }, /deadLetterMaxAgeMs/],
  ])('rejects %j naming the bad option', (options, message) => {
    expect(() => resolveStreamClientOptions(options)).toThrow(message);
  });
});

describe('defaultConsumerName', () => {
  it('names host and process and differs between two consumers of one process', () => {
    const first = defaultConsumerName();
    const second = defaultConsumerName();

    expect(first).toMatch(
      new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-${process.pid}-[0-9a-f]{6}$`),
    );
    expect(second).not.toBe(first);
  });
});
