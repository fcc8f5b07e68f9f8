import { reconnectDelayMs, redisOptionsFor } from './redis-connection.factory';
import { resolveStreamClientOptions } from './stream-client.options';

const options = resolveStreamClientOptions({
  redisUrl: 'redis://127.0.0.1:6379/0',
  commandTimeoutMs: 700,
  connectionName: 'logpipe-test',
});

describe('reconnectDelayMs', () => {
  it('backs off exponentially and never waits more than 2 s, however long Redis stays away', () => {
    expect([1, 2, 3, 4, 5].map(reconnectDelayMs)).toEqual([100, 200, 400, 800, 1600]);
    expect(reconnectDelayMs(6)).toBe(2000);
    expect(reconnectDelayMs(10_000)).toBe(2000);
  });
});

describe('redisOptionsFor', () => {
  it('makes producer commands fail fast instead of queueing or being replayed', () => {
    const producer = redisOptionsFor('producer', options);

    expect(producer).toMatchObject({
      enableOfflineQueue: false,
      commandTimeout: 700,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectionName: 'logpipe-test-producer',
    });
    expect(typeof producer.retryStrategy).toBe('function');
  });

  it('bounds blocking reads by their BLOCK time plus a grace instead of the command timeout', () => {
    const blocking = redisOptionsFor('consumer-blocking', options);

    expect(blocking.commandTimeout).toBeUndefined();
    expect(blocking).toMatchObject({
      blockingTimeout: 700,
      blockingTimeoutGrace: 700,
      connectionName: 'logpipe-test-consumer-blocking',
    });
  });

  it('leaves the connection name unset when none is configured', () => {
    const unnamed = resolveStreamClientOptions({ redisUrl: 'redis://127.0.0.1:6379/0' });
    expect(redisOptionsFor('consumer', unnamed).connectionName).toBeUndefined();
  });
});
