import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createRedisConnection, type RedisClient } from './redis-connection.factory';
import { closeConnection, runWhenReady, waitUntilReady } from './redis-connection.lifecycle';
import {
  STREAM_CLIENT_OPTIONS,
  STREAM_PAYLOAD_FIELD,
  type ResolvedStreamClientOptions,
} from './stream-client.options';
import { StreamLayout, StreamLayoutMismatchError, type StreamShard } from './stream-shards';
import { StreamUnavailableError, toStreamError } from './stream-unavailable.error';

/**
 * XADDs every payload inside one script. A script runs atomically (and reaches the AOF as one
 * MULTI/EXEC), so a batch is written whole or not at all, like a MULTI of XADDs, but it travels as
 * ONE command: ioredis builds one Command object instead of one per entry, which measured about
 * twice the batch throughput of the MULTI (GC and per-command serialisation dominated the profile).
 * The `#!lua` shebang (Redis 7) makes Redis refuse the script up front when it is out of memory,
 * instead of failing half-way through the loop.
 */
const APPEND_MANY_SCRIPT = `#!lua
local ids = {}
for i = 2, #ARGV do
  ids[i - 1] = redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[i])
end
return ids`;

type ScriptedRedis = RedisClient & {
  logpipeAppendMany(key: string, field: string, ...payloads: string[]): Promise<string[]>;
};

/** The backlog of each shard (XLEN; the worker trims acknowledged entries) and their sum. */
export interface StreamBacklog {
  total: number;
  /** by shard index */
  shards: number[];
}

/**
 * Appends payloads to the stream over one non-blocking connection (to a single Redis, or a Cluster
 * client). With several shards, each call goes to the next shard in turn (round-robin per call, per
 * process): a call's entries always go to ONE shard in one script, so appendMany stays all-or-nothing.
 * Round-robin rather than a hash of the tenant: it spreads load evenly whatever the tenants' sizes,
 * and nothing downstream needs one tenant's entries in one shard (each row carries its own time). While Redis is down or hung every
 * call fails within about commandTimeoutMs with StreamUnavailableError rather than queueing, so the
 * ingest can answer 503 at once; the connection comes back by itself when Redis does.
 */
@Injectable()
export class StreamProducer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(StreamProducer.name);
  private readonly redis: RedisClient;
  private readonly layout: StreamLayout;
  private nextShard = 0;

  constructor(@Inject(STREAM_CLIENT_OPTIONS) private readonly options: ResolvedStreamClientOptions) {
    this.layout = new StreamLayout(options);
    this.redis = createRedisConnection('producer', options);
    // EVALSHA, falling back to EVAL once after a Redis restart flushed the script cache.
    this.redis.defineCommand('logpipeAppendMany', { numberOfKeys: 1, lua: APPEND_MANY_SCRIPT });
  }

  get isReady(): boolean {
    return this.redis.status === 'ready';
  }

  async onModuleInit(): Promise<void> {
    // Connect up front so the first request does not pay for it; a Redis that is down must not stop
    // the process from starting (health checks report it, writes answer 503 until it is back).
    try {
      await waitUntilReady(this.redis, this.options.commandTimeoutMs);
      await this.verifyLayout();
    } catch (error) {
      if (!(error instanceof StreamUnavailableError)) throw error;
      this.logger.warn(`Redis not ready at start, continuing: ${error.message}`);
    }
  }

  /** The shards, in index order. */
  get shards(): readonly StreamShard[] {
    return this.layout.shards;
  }

  /**
   * Refuses (StreamLayoutMismatchError) a shard count or key layout other than the one the stream
   * was set up with: entries queued under the old keys would never be read again. The plain layout
   * (one shard, single Redis) records nothing, so today's deployments upgrade without a new key; a
   * tagged layout records itself with SET NX at its first start, after making sure no entries wait
   * under the plain keys.
   */
  async verifyLayout(): Promise<void> {
    const { recordKey, description } = this.layout;
    const howToChange = `Changing STREAM_SHARDS (or moving between a single Redis and a cluster) on a running system is not supported: stop ingest, let the workers drain the stream (backlog 0, nothing pending, with the old settings), then DEL ${recordKey} and start with the new settings.`;
    if (!this.layout.tagged) {
      const recorded = await this.run('verifyLayout', (redis) => redis.get(recordKey));
      if (recorded !== null && recorded !== description) {
        throw new StreamLayoutMismatchError(
          `The stream was set up as ${recorded} (Redis key ${recordKey}), this process is configured for ${description}. ${howToChange}`,
        );
      }
      return;
    }
    const plainBacklog = await this.run('verifyLayout', (redis) => redis.xlen(this.options.streamKey));
    if (plainBacklog > 0) {
      throw new StreamLayoutMismatchError(
        `${this.options.streamKey} still holds ${plainBacklog} entries of the unsharded layout, this process is configured for ${description}. ${howToChange}`,
      );
    }
    const recorded = await this.run('verifyLayout', (redis) =>
      redis.set(recordKey, description, 'NX', 'GET'),
    );
    if (recorded !== null && recorded !== description) {
      throw new StreamLayoutMismatchError(
        `The stream was set up as ${recorded} (Redis key ${recordKey}), this process is configured for ${description}. ${howToChange}`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await closeConnection(this.redis, this.options.commandTimeoutMs);
  }

  /** XADD with an auto id; resolves the new entry's id. */
  append(payload: string): Promise<string> {
    if (this.options.waitReplicas > 0) {
      return this.appendMany([payload]).then(([id]) => id);
    }
    const shard = this.takeShard();
    return this.run('append', async (redis) => {
      const id = await redis.xadd(shard.streamKey, '*', STREAM_PAYLOAD_FIELD, payload);
      if (id === null) {
        // Only possible with NOMKSTREAM, which we never send.
        throw new Error('XADD returned no id');
      }
      return this.layout.qualify(shard, id);
    });
  }

  /**
   * Appends all payloads atomically (one script, see APPEND_MANY_SCRIPT): either every entry is
   * written, as consecutive entries, or none is (a script refused for OOM writes nothing).
   */
  appendMany(payloads: readonly string[]): Promise<string[]> {
    if (payloads.length === 0) {
      return Promise.resolve([]);
    }
    const shard = this.takeShard();
    return this.run('appendMany', async (redis) => {
      const ids =
        this.options.waitReplicas > 0
          ? await this.appendAndWait(redis as ScriptedRedis, shard, payloads)
          : await (redis as ScriptedRedis).logpipeAppendMany(
              shard.streamKey,
              STREAM_PAYLOAD_FIELD,
              ...payloads,
            );
      return this.layout.tagged ? ids.map((id) => this.layout.qualify(shard, id)) : ids;
    });
  }

  /**
   * Runs a Lua script over ONE key on this connection (EVALSHA; EVAL once after a restart flushed the
   * script cache), sharing its auto-pipelining: small atomic state beside the stream, such as the shared
   * tenant quota, without a second connection. Unlike the appends it never waits for a connection that
   * is not ready but rejects at once (StreamUnavailableError), so a caller with a local fallback does not
   * hold a request for an outage the append will report anyway. `script.name` must stay the same for the
   * same `lua`.
   */
  async runScript(
    script: { readonly name: string; readonly lua: string },
    key: string,
    args: readonly (string | number)[],
  ): Promise<unknown> {
    if (!this.isReady) {
      throw new StreamUnavailableError(`Redis is not ready (status ${this.redis.status})`);
    }
    const scripted = this.redis as unknown as Record<string, (...params: unknown[]) => Promise<unknown>>;
    if (typeof scripted[script.name] !== 'function') {
      this.redis.defineCommand(script.name, { numberOfKeys: 1, lua: script.lua });
    }
    try {
      return await scripted[script.name](key, ...args);
    } catch (error) {
      throw toStreamError(error, script.name);
    }
  }

  /** true when Redis answers PING within commandTimeoutMs; never throws. */
  async ping(): Promise<boolean> {
    try {
      return (await this.run('ping', (redis) => redis.ping())) === 'PONG';
    } catch {
      return false;
    }
  }

  /** XLEN summed over the shards. The worker trims acknowledged entries, so this is the backlog still to be stored. */
  async streamLength(): Promise<number> {
    return (await this.backlog()).total;
  }

  /**
   * XLEN of every shard. All are issued in the same tick, so each counts every write this process
   * issued before the call (commands to one node go out in call order): BacklogMonitor relies on it.
   */
  async backlog(): Promise<StreamBacklog> {
    const shards = await Promise.all(
      this.layout.shards.map((shard) => this.run('streamLength', (redis) => redis.xlen(shard.streamKey))),
    );
    return { total: shards.reduce((sum, length) => sum + length, 0), shards };
  }

  /**
   * The script and WAIT in one pipeline: on a cluster a pipeline goes to the node of its keys, so WAIT
   * runs on the connection (and master) that took the write, which is what it waits for. Fewer
   * replicas than asked within the time is a StreamUnavailableError (503): the entries ARE on the
   * master and may well survive, but cannot be promised; a client that resends them without an `id`
   * may then store them twice. WAIT narrows the loss window of a failover, it does not close it.
   */
  private async appendAndWait(
    redis: ScriptedRedis,
    shard: StreamShard,
    payloads: readonly string[],
  ): Promise<string[]> {
    const wanted = this.options.waitReplicas;
    const waitMs = Math.max(1, Math.floor(this.options.commandTimeoutMs / 2));
    const pipeline = redis.pipeline() as ReturnType<RedisClient['pipeline']> & {
      logpipeAppendMany(key: string, field: string, ...payloads: string[]): unknown;
    };
    pipeline.logpipeAppendMany(shard.streamKey, STREAM_PAYLOAD_FIELD, ...payloads);
    pipeline.wait(wanted, waitMs);
    const results = await pipeline.exec();
    if (results === null) throw new Error('pipeline was aborted');
    const [[appendError, ids], [waitError, confirmed]] = results;
    if (appendError) throw appendError;
    if (waitError) throw waitError;
    if (Number(confirmed) < wanted) {
      throw new StreamUnavailableError(
        `only ${confirmed} of ${wanted} replicas confirmed the append within ${waitMs} ms (REDIS_WAIT_REPLICAS)`,
      );
    }
    return ids as string[];
  }

  private takeShard(): StreamShard {
    const shards = this.layout.shards;
    const shard = shards[this.nextShard];
    this.nextShard = (this.nextShard + 1) % shards.length;
    return shard;
  }

  private run<T>(operation: string, command: (redis: RedisClient) => Promise<T>): Promise<T> {
    return runWhenReady(this.redis, this.options.commandTimeoutMs, operation, command);
  }
}
