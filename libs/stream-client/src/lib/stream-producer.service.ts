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
import { isCompressed, streamFieldValue, type ValueMemory } from './stream-value-compression';

/**
 * XADDs every stream value inside one script and adds the number of log entries they hold to the
 * shard's entry counter (StreamShard.entriesKey, the backlog BacklogMonitor reads; the worker takes
 * them off as it acknowledges). A script runs atomically (and reaches the AOF as one MULTI/EXEC), so
 * a request is written whole or not at all, counter included, and it travels as ONE command: ioredis
 * builds one Command object instead of a Pipeline and one per value. The `#!lua` shebang (Redis 7) makes
 * Redis refuse the script up front when it is out of memory, instead of failing half-way through the
 * loop: then nothing is written and nothing counted. Large values go in a MULTI instead
 * (TRANSACTION_MIN_BYTES): Redis copies a script's arguments into Lua strings and back.
 * KEYS: stream, entry counter, appended counter (StreamShard.appendedKey). ARGV: field, entry count, values...
 */
const APPEND_CHUNKS_SCRIPT = `#!lua
local ids = {}
for i = 3, #ARGV do
  ids[i - 2] = redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[i])
end
redis.call('INCRBY', KEYS[2], ARGV[2])
redis.call('INCRBY', KEYS[3], ARGV[2])
return ids`;

/**
 * One value holding one entry (POST /api/log), the same contract as APPEND_CHUNKS_SCRIPT. Its own
 * script because it is the hot single-entry path: no table of ids, no loop. Measured against the other
 * ways to XADD and INCRBY one entry (tools/bench/stream-append-cost.mjs --ways, private Redis, 16 in
 * flight, ingest-side CPU): a script about 30% over a bare XADD without counter, an auto-pipelined
 * XADD + INCRBY pair about 60% (two commands, and not atomic), a MULTI about 4.5x (a Pipeline per call).
 * Single entries that arrive together are sent as chunks instead (log-schema's SingleEntryChunks).
 * KEYS: stream, entry counter. ARGV: field, value.
 */
const APPEND_ENTRY_SCRIPT = `#!lua
local id = redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[2])
redis.call('INCRBY', KEYS[2], 1)
redis.call('INCRBY', KEYS[3], 1)
return id`;

/**
 * appendChunks writes values totalling at least this many characters (string values: JSON chunks, nearly
 * all ASCII) or bytes (Buffer values) in a MULTI/EXEC of XADDs and INCRBYs rather than
 * APPEND_CHUNKS_SCRIPT. Both are all or nothing (a transaction Redis refuses while queueing, e.g. for
 * OOM, fails whole as EXECABORT; EXEC itself is refused under OOM), but a script costs Redis about 1.5 ns
 * per byte of its arguments, which it copies into Lua strings and back into Redis strings, while the
 * transaction's XADDs take their values as read from the socket; below this size the transaction's
 * Pipeline and extra commands cost ingest more than the script costs Redis. Measured 2026-12-01 (private
 * Redis, 8 calls in flight, two values per call, Redis's CPU from INFO cpu, the client's from
 * process.cpuUsage), per call script / transaction: 2 KB values, Redis 26-31 / 23-25 µs and client 36-58
 * / 67-115 µs; 10 KB values 66-80 / 32-41 and 52-90 / 69-107; 39 KB values 206-227 / 88-110 and 114-151 /
 * 120-189. For ingest's 500-entry chunks (~130 KB) Redis spent 0.55-0.63 µs per log entry with the script
 * and 0.31-0.33 with the transaction.
 */
export const TRANSACTION_MIN_BYTES = 16 * 1024;

interface AppendCommands {
  logpipeAppendChunks(
    key: string,
    entriesKey: string,
    appendedKey: string,
    field: string,
    entryCount: number,
    ...values: (string | Buffer)[]
  ): Promise<string[]>;
  logpipeAppendEntry(
    key: string,
    entriesKey: string,
    appendedKey: string,
    field: string,
    value: string,
  ): Promise<string>;
}
type ScriptedRedis = RedisClient & AppendCommands;
/** Where an append script can be called: the connection (promises) or a pipeline (queued). */
type AppendTarget = {
  [name in keyof AppendCommands]: (...args: Parameters<AppendCommands[name]>) => unknown;
};
/** A pipeline with the append scripts on it (they queue instead of returning promises). */
type ScriptedPipeline = ReturnType<RedisClient['pipeline']> & AppendTarget;
/** A pipeline that can open a transaction (MULTI is queued; exec() then queues EXEC). */
type TransactionPipeline = ReturnType<RedisClient['pipeline']> & {
  multi(): ReturnType<RedisClient['pipeline']>;
};

/**
 * A backlog per shard and its sum: in stream entries (XLEN, `backlog()`) or in log entries (the shards'
 * entry counters, `entryBacklog()`); a chunk is one stream entry holding many log entries.
 */
export interface StreamBacklog {
  total: number;
  /** by shard index */
  shards: number[];
}

/**
 * Appends payloads to the stream over one non-blocking connection (to a single Redis, or a Cluster
 * client). With several shards, each call goes to the next shard in turn (round-robin per call, per
 * process): a call's values always go to ONE shard in one script or transaction, so an append stays
 * all-or-nothing.
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
  /** Scripts defined by defineScript, by name. */
  private readonly scriptNames = new Set<string>();

  constructor(@Inject(STREAM_CLIENT_OPTIONS) private readonly options: ResolvedStreamClientOptions) {
    this.layout = new StreamLayout(options);
    this.redis = createRedisConnection('producer', options);
    // EVALSHA, falling back to EVAL once after a Redis restart flushed the script cache.
    this.redis.defineCommand('logpipeAppendChunks', { numberOfKeys: 3, lua: APPEND_CHUNKS_SCRIPT });
    this.redis.defineCommand('logpipeAppendEntry', { numberOfKeys: 3, lua: APPEND_ENTRY_SCRIPT });
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

  /**
   * Appends one stream value holding ONE log entry (APPEND_ENTRY_SCRIPT: its XADD and the shard's counter
   * +1, atomically); resolves its stream id. Counting the entry takes a script where a bare XADD needed
   * none (stream-append-cost.mjs). Callers with several entries at hand, including single entries that
   * arrive together (log-schema's SingleEntryChunks), send them as chunks through appendChunks: one script
   * call and one stream entry for all of them.
   */
  append(value: string): Promise<string> {
    const shard = this.takeShard();
    return this.run('append', async (redis) => {
      const id = await this.callAppend(redis, (target) =>
        target.logpipeAppendEntry(
          shard.streamKey,
          shard.entriesKey,
          shard.appendedKey,
          STREAM_PAYLOAD_FIELD,
          value,
        ),
      );
      return this.layout.qualify(shard, id as string);
    });
  }

  /** Appends values of one log entry each, atomically (see appendChunks). */
  appendMany(values: readonly string[]): Promise<string[]> {
    return this.appendChunks(values, values.length);
  }

  /**
   * Appends stream values (chunks, or single entries) holding `entryCount` log entries in all, to one
   * shard in ONE script call (APPEND_CHUNKS_SCRIPT) or, for values of TRANSACTION_MIN_BYTES or more in
   * all, ONE MULTI/EXEC: every value is written, as consecutive stream entries, and the shard's entry
   * counter grows by `entryCount`, or nothing is (a script or transaction refused for OOM writes nothing
   * and counts nothing). Values of compressMinBytes or more are written compressed, in the transaction
   * (stream-value-compression.ts), into `memory` when given. Resolves the stream ids, one per value. A
   * value may be a Buffer (UTF-8 text): ioredis writes it as it is, where a string is encoded again on
   * its way to the socket.
   */
  appendChunks(
    values: readonly (string | Buffer)[],
    entryCount: number,
    memory?: ValueMemory,
  ): Promise<string[]> {
    if (values.length === 0) {
      return Promise.resolve([]);
    }
    const shard = this.takeShard();
    let size = 0;
    // Compressed values carry their own field, which only the transaction's XADDs can vary per value.
    let compressing = false;
    for (const value of values) {
      size += value.length;
      compressing ||= isCompressed(value.length, this.options.compressMinBytes);
    }
    return this.run('appendChunks', async (redis) => {
      const ids =
        size >= TRANSACTION_MIN_BYTES || compressing
          ? await this.appendInTransaction(redis, shard, values, entryCount, memory)
          : ((await this.callAppend(redis, (target) =>
              target.logpipeAppendChunks(
                shard.streamKey,
                shard.entriesKey,
                shard.appendedKey,
                STREAM_PAYLOAD_FIELD,
                entryCount,
                ...values,
              ),
            )) as string[]);
      return this.layout.tagged ? ids.map((id) => this.layout.qualify(shard, id)) : ids;
    });
  }

  /**
   * Defines a Lua script over ONE key on this connection (EVALSHA; EVAL once after a restart flushed the
   * script cache) for runScript: small atomic state beside the stream, such as the shared tenant quota,
   * without a second connection. Call it from a constructor, before any traffic: ioredis copies a
   * connection's scripts into an auto-pipeline when the pipeline is opened, so a script defined while
   * one is pending is missing from it, and the pipeline's answers then crashed the process (seen in the
   * syslog backpressure e2e test under load). Defining the same name again is a no-op.
   */
  defineScript(script: { readonly name: string; readonly lua: string }): void {
    if (this.scriptNames.has(script.name)) return;
    if (this.redis.autoPipelineQueueSize > 0) {
      throw new Error(
        `script ${script.name} defined while commands wait in an auto-pipeline: define scripts at start-up`,
      );
    }
    this.redis.defineCommand(script.name, { numberOfKeys: 1, lua: script.lua });
    this.scriptNames.add(script.name);
  }

  /**
   * Runs a script defined by defineScript, sharing the connection's auto-pipelining. Unlike the appends
   * it never waits for a connection that is not ready but rejects at once (StreamUnavailableError), so a
   * caller with a local fallback does not hold a request for an outage the append will report anyway.
   */
  async runScript(scriptName: string, key: string, args: readonly (string | number)[]): Promise<unknown> {
    if (!this.scriptNames.has(scriptName)) {
      throw new Error(`script ${scriptName} was not defined with defineScript before it was run`);
    }
    if (!this.isReady) {
      throw new StreamUnavailableError(`Redis is not ready (status ${this.redis.status})`);
    }
    const scripted = this.redis as unknown as Record<string, (...params: unknown[]) => Promise<unknown>>;
    try {
      return await scripted[scriptName](key, ...args);
    } catch (error) {
      throw toStreamError(error, scriptName);
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

  /**
   * XLEN summed over the shards: stream entries (a chunk is one), not log entries. The worker trims
   * acknowledged entries, so this is the backlog still to be stored, counted in stream entries.
   */
  async streamLength(): Promise<number> {
    return (await this.backlog()).total;
  }

  /**
   * XLEN of every shard, in stream entries (a chunk counts once; entryBacklog counts log entries). All
   * are issued in the same tick, so each counts every write this process issued before the call
   * (commands to one node go out in call order).
   */
  async backlog(): Promise<StreamBacklog> {
    return this.perShard('streamLength', (redis, shard) => redis.xlen(shard.streamKey));
  }

  /**
   * The backlog in log entries: every shard's entry counter (the appends add what they write,
   * the worker takes off what it acknowledges or dead-letters). Issued in the same tick on the
   * connection that appends, so each counts every write this process issued before the call:
   * BacklogMonitor relies on it. A counter that is missing (a Redis restarted without persistence, a
   * stream older than the counters) reads 0, and one driven below 0 (the worker acknowledging entries
   * written before the counter existed) reads 0 too: a backlog is never negative.
   */
  async entryBacklog(): Promise<StreamBacklog> {
    return this.perShard('entryBacklog', async (redis, shard) =>
      Math.max(0, Number((await redis.get(shard.entriesKey)) ?? 0) || 0),
    );
  }

  /**
   * Log entries ever appended, per shard and in all (StreamShard.appendedKey; never decremented): with
   * chunks, XINFO's entries-added counts stream entries, not log entries. A missing counter reads 0.
   */
  async entriesAppended(): Promise<StreamBacklog> {
    return this.perShard(
      'entriesAppended',
      async (redis, shard) => Number((await redis.get(shard.appendedKey)) ?? 0) || 0,
    );
  }

  private async perShard(
    operation: string,
    read: (redis: RedisClient, shard: StreamShard) => Promise<number>,
  ): Promise<StreamBacklog> {
    const shards = await Promise.all(
      this.layout.shards.map((shard) => this.run(operation, (redis) => read(redis, shard))),
    );
    return { total: shards.reduce((sum, length) => sum + length, 0), shards };
  }

  /** One append script call: on the connection, or with WAIT in a pipeline when REDIS_WAIT_REPLICAS asks. */
  private async callAppend(redis: RedisClient, call: (target: AppendTarget) => unknown): Promise<unknown> {
    return this.options.waitReplicas > 0 ? this.appendAndWait(redis, call) : call(redis as ScriptedRedis);
  }

  /**
   * The script and WAIT in one pipeline: on a cluster a pipeline goes to the node of its keys, so WAIT
   * runs on the connection (and master) that took the write, which is what it waits for. Fewer
   * replicas than asked within the time is a StreamUnavailableError (503): the entries ARE on the
   * master and may well survive, but cannot be promised; a client that resends them without an `id`
   * may then store them twice. WAIT narrows the loss window of a failover, it does not close it.
   */
  private async appendAndWait(
    redis: RedisClient,
    append: (pipeline: ScriptedPipeline) => unknown,
  ): Promise<unknown> {
    const wanted = this.options.waitReplicas;
    const pipeline = redis.pipeline() as ScriptedPipeline;
    append(pipeline);
    pipeline.wait(wanted, this.waitMs);
    const results = await pipeline.exec();
    if (results === null) throw new Error('pipeline was aborted');
    const [[appendError, written], waited] = results;
    if (appendError) throw appendError;
    this.assertReplicasConfirmed(waited);
    return written;
  }

  /** How long WAIT waits for REDIS_WAIT_REPLICAS: half the command timeout, so its answer comes in time. */
  private get waitMs(): number {
    return Math.max(1, Math.floor(this.options.commandTimeoutMs / 2));
  }

  /** WAIT's answer in a pipeline: a StreamUnavailableError unless enough replicas confirmed in time. */
  private assertReplicasConfirmed([waitError, confirmed]: [Error | null, unknown]): void {
    if (waitError) throw waitError;
    const wanted = this.options.waitReplicas;
    if (Number(confirmed) < wanted) {
      throw new StreamUnavailableError(
        `only ${confirmed} of ${wanted} replicas confirmed the append within ${this.waitMs} ms (REDIS_WAIT_REPLICAS)`,
      );
    }
  }

  /**
   * The large-value form of APPEND_CHUNKS_SCRIPT (TRANSACTION_MIN_BYTES): MULTI, an XADD per value, the
   * two INCRBYs, EXEC, in one pipeline, with WAIT after the EXEC when REDIS_WAIT_REPLICAS asks for it
   * (on a cluster a pipeline goes to the node of its keys, as for the script). Resolves the stream ids.
   */
  private async appendInTransaction(
    redis: RedisClient,
    shard: StreamShard,
    values: readonly (string | Buffer)[],
    entryCount: number,
    memory: ValueMemory | undefined,
  ): Promise<string[]> {
    const wanted = this.options.waitReplicas;
    // ioredis types a pipeline without multi(), which it has: MULTI ... EXEC inside the pipeline.
    const pipeline = (redis.pipeline() as TransactionPipeline).multi();
    for (const value of values) {
      const written = streamFieldValue(value, this.options.compressMinBytes, memory);
      pipeline.xadd(shard.streamKey, '*', written.field, written.value);
    }
    pipeline.incrby(shard.entriesKey, entryCount).incrby(shard.appendedKey, entryCount);
    // Inside a pipeline that opened a transaction, exec() queues EXEC; the last exec() below sends it all.
    void pipeline.exec();
    if (wanted > 0) pipeline.wait(wanted, this.waitMs);
    const results = await pipeline.exec();
    if (results === null) throw new Error('pipeline was aborted');
    // MULTI, one QUEUED per command, then EXEC's answer (and WAIT's).
    const execIndex = values.length + 3;
    const [execError, written] = results[execIndex];
    if (execError) {
      // EXECABORT: Redis refused a command while queueing it (OOM, say); toStreamError judges it by those.
      const previousErrors = results
        .slice(0, execIndex)
        .map(([error]: [Error | null, unknown]) => error)
        .filter((error: Error | null): error is Error => error !== null);
      throw Object.assign(execError, { previousErrors });
    }
    // EXEC's answers in a plain pipeline are the values themselves, or an Error for a command that failed.
    const ids = (written as unknown[]).slice(0, values.length).map((answer) => {
      if (answer instanceof Error) throw answer;
      return answer as string;
    });
    if (wanted > 0) this.assertReplicasConfirmed(results[execIndex + 1]);
    return ids;
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
