import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createRedisConnection, type RedisClient } from './redis-connection.factory';
import { closeConnection, runWhenReady, waitUntilReady } from './redis-connection.lifecycle';
import { STREAM_CLIENT_OPTIONS, type ResolvedStreamClientOptions } from './stream-client.options';
import { parseReadReply, parseStreamEntry, type StreamMessage } from './stream-reply.parser';
import { StreamLayout, type StreamShard } from './stream-shards';
import { toStreamError } from './stream-unavailable.error';

/**
 * Reads the log stream without a consumer group, for the live tail: a plain XREAD is invisible to the
 * group, so it never takes, acknowledges or delays an entry the worker needs, nor keeps the worker
 * from trimming. Each shard is read on a blocking connection of its own (a BLOCKing XREAD holds up
 * anything else on its connection, and on a cluster one XREAD cannot span keys of different slots);
 * the connections open on first use, so an app without tail readers pays nothing for this provider.
 */
@Injectable()
export class StreamTail implements OnApplicationShutdown {
  private readonly layout: StreamLayout;
  private readonly commands: RedisClient;
  private readonly blocking = new Map<StreamShard, RedisClient>();

  constructor(@Inject(STREAM_CLIENT_OPTIONS) private readonly options: ResolvedStreamClientOptions) {
    this.layout = new StreamLayout(options);
    this.commands = createRedisConnection('admin', options);
  }

  /** The shards, in index order. */
  get shards(): readonly StreamShard[] {
    return this.layout.shards;
  }

  /** The (raw) id of the shard's newest entry, '0-0' when it is empty: read after it to see only new ones. */
  async newestId(shard: StreamShard): Promise<string> {
    const newest = (await runWhenReady(this.commands, this.options.commandTimeoutMs, 'tail start', (redis) =>
      redis.callBuffer('XREVRANGE', shard.streamKey, '+', '-', 'COUNT', 1),
    )) as unknown[];
    return newest.length > 0 ? parseStreamEntry(newest[0]).id : '0-0';
  }

  /**
   * Entries of `shard` after (raw) id `afterId`, waiting up to `blockMs` for some; [] when none came.
   * Each message's `rawId` is where to continue; its `id` is qualified by the shard (what readers see).
   * Rejects with StreamUnavailableError while Redis is unreachable.
   */
  async readAfter(
    shard: StreamShard,
    afterId: string,
    count: number,
    blockMs: number,
  ): Promise<(StreamMessage & { rawId: string })[]> {
    const redis = this.blockingFor(shard);
    try {
      await waitUntilReady(redis, this.options.commandTimeoutMs);
      // Buffers: a compressed value (SNAPPY_PAYLOAD_FIELD) does not survive decoding as UTF-8 text.
      const reply = await redis.callBuffer(
        'XREAD',
        'COUNT',
        count,
        'BLOCK',
        blockMs,
        'STREAMS',
        shard.streamKey,
        afterId,
      );
      return parseReadReply(reply).map((message) => ({
        ...message,
        rawId: message.id,
        id: this.layout.qualify(shard, message.id),
      }));
    } catch (error) {
      throw toStreamError(error, 'tail read');
    }
  }

  /** Cuts every read in progress short (at shutdown: a BLOCK would otherwise hold it up to blockMs); later reads fail. */
  stopReads(): void {
    for (const redis of this.blocking.values()) redis.disconnect();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      [this.commands, ...this.blocking.values()].map((redis) =>
        closeConnection(redis, this.options.commandTimeoutMs),
      ),
    );
  }

  private blockingFor(shard: StreamShard): RedisClient {
    let redis = this.blocking.get(shard);
    if (!redis) {
      redis = createRedisConnection('consumer-blocking', {
        ...this.options,
        connectionName: this.options.connectionName && `${this.options.connectionName}-tail`,
      });
      this.blocking.set(shard, redis);
    }
    return redis;
  }
}
