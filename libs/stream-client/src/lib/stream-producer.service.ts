import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createRedisConnection } from './redis-connection.factory';
import { closeConnection, runWhenReady, waitUntilReady } from './redis-connection.lifecycle';
import {
  STREAM_CLIENT_OPTIONS,
  STREAM_PAYLOAD_FIELD,
  type ResolvedStreamClientOptions,
} from './stream-client.options';

/**
 * Appends payloads to the stream over one non-blocking connection. While Redis is down or hung every
 * call fails within about commandTimeoutMs with StreamUnavailableError rather than queueing, so the
 * ingest can answer 503 at once; the connection comes back by itself when Redis does.
 */
@Injectable()
export class StreamProducer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(StreamProducer.name);
  private readonly redis: Redis;

  constructor(@Inject(STREAM_CLIENT_OPTIONS) private readonly options: ResolvedStreamClientOptions) {
    this.redis = createRedisConnection('producer', options);
  }

  get isReady(): boolean {
    return this.redis.status === 'ready';
  }

  async onModuleInit(): Promise<void> {
    // Connect up front so the first request does not pay for it; a Redis that is down must not stop
    // the process from starting (health checks report it, writes answer 503 until it is back).
    await waitUntilReady(this.redis, this.options.commandTimeoutMs).catch((error: Error) =>
      this.logger.warn(`Redis not ready at start, continuing: ${error.message}`),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await closeConnection(this.redis, this.options.commandTimeoutMs);
  }

  /** XADD with an auto id; resolves the new entry's id. */
  append(payload: string): Promise<string> {
    return this.run('append', async (redis) => {
      const id = await redis.xadd(this.options.streamKey, '*', STREAM_PAYLOAD_FIELD, payload);
      if (id === null) {
        // Only possible with NOMKSTREAM, which we never send.
        throw new Error('XADD returned no id');
      }
      return id;
    });
  }

  /**
   * Appends all payloads in one MULTI/EXEC sent as a single pipeline: either every entry is written,
   * as consecutive entries, or none is (a refused MULTI, e.g. OOM, writes nothing).
   */
  appendMany(payloads: readonly string[]): Promise<string[]> {
    if (payloads.length === 0) {
      return Promise.resolve([]);
    }
    return this.run('appendMany', async (redis) => {
      const transaction = redis.multi();
      for (const payload of payloads) {
        transaction.xadd(this.options.streamKey, '*', STREAM_PAYLOAD_FIELD, payload);
      }
      const results = await transaction.exec();
      if (results === null) {
        throw new Error('MULTI/EXEC was aborted');
      }
      return results.map(([error, id]) => {
        if (error) {
          throw error;
        }
        return String(id);
      });
    });
  }

  /** true when Redis answers PING within commandTimeoutMs; never throws. */
  async ping(): Promise<boolean> {
    try {
      return (await this.run('ping', (redis) => redis.ping())) === 'PONG';
    } catch {
      return false;
    }
  }

  /** XLEN. The worker trims acknowledged entries, so this is the backlog still to be stored. */
  streamLength(): Promise<number> {
    return this.run('streamLength', (redis) => redis.xlen(this.options.streamKey));
  }

  private run<T>(operation: string, command: (redis: Redis) => Promise<T>): Promise<T> {
    return runWhenReady(this.redis, this.options.commandTimeoutMs, operation, command);
  }
}
