import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisConnection, type RedisClient } from './redis-connection.factory';
import { closeConnection, runWhenReady, waitUntilReady } from './redis-connection.lifecycle';
import {
  STREAM_CLIENT_OPTIONS,
  STREAM_PAYLOAD_FIELD,
  type ResolvedStreamClientOptions,
} from './stream-client.options';
import { compareStreamIds, minStreamId, successorStreamId } from './stream-id.util';
import {
  parseAutoClaimReply,
  parseGroupsInfo,
  parsePendingEntries,
  parsePendingSummary,
  parseReadReply,
  type GroupInfo,
  type StreamMessage,
} from './stream-reply.parser';
import { StreamLayout, type StreamShard } from './stream-shards';
import { isNoGroupError, StreamUnavailableError, toStreamError } from './stream-unavailable.error';

// Long reads are split into slices this short so that stop() takes effect promptly without cutting a
// read off mid-reply (which would leave delivered entries pending with nobody processing them).
const MAX_BLOCK_SLICE_MS = 250;
// Pause after a dropped connection before waiting for it again, so a flapping socket cannot spin.
const RECONNECT_PAUSE_MS = 100;
const PENDING_PAGE_SIZE = 100;

/**
 * A claimed message whose entry is still in the stream (readable, or corrupt): it counts toward a claim's
 * `count`; one deleted while pending (payload null) is returned to be dead-lettered but does not.
 */
function stillInStream(message: StreamMessage): boolean {
  return message.payload !== null || message.corrupt !== undefined;
}

// COUNT 0 means "no limit" to some stream commands; a caller asking for nothing has a bug.
function assertCount(count: number): void {
  if (!Number.isInteger(count) || count <= 0) {
    throw new RangeError(`count must be a positive integer, got ${count}`);
  }
}

export interface DeadLetterItem {
  id: string;
  payload: string | null;
  reason: string;
}

/** What deadLetter() did: entries the dead-letter bound removed to make room, by bound. */
export interface DeadLetterOutcome {
  droppedByCount: number;
  droppedByAge: number;
}

export interface ConsumerGroupStatus {
  pending: number;
  /** entries not yet delivered to the group; null when Redis cannot tell */
  lag: number | null;
  /** (qualified) id of the last entry delivered: of shard 0 when summed over shards */
  lastDeliveredId: string;
  consumers: number;
}

/**
 * The group over all shards: pending and lag summed, consumers the most any shard has (every consumer
 * reads every shard), lastDeliveredId shard 0's.
 */
export function summedGroupInfo(shards: readonly ConsumerGroupStatus[]): ConsumerGroupStatus {
  return {
    pending: shards.reduce((sum, shard) => sum + shard.pending, 0),
    lag: shards.some((shard) => shard.lag === null)
      ? null
      : shards.reduce((sum, shard) => sum + (shard.lag as number), 0),
    lastDeliveredId: shards[0].lastDeliveredId,
    consumers: Math.max(...shards.map((shard) => shard.consumers)),
  };
}

/**
 * One member of the consumer group. Blocking reads run on their own connection so that acks, claims
 * and trims on the other connection never queue behind a BLOCK. Connections open on first use, so an
 * app that only produces pays nothing for this provider.
 *
 * Several shards: every shard's stream has its own consumer group of the same name, and every
 * consumer reads every shard (rather than owning some): no ownership to hand over when workers come
 * and go, XAUTOCLAIM per shard takes over what a dead worker left, and one slow shard is read by all.
 * Ids are qualified by their shard (StreamLayout), so ack, deadLetter and deliveryCounts take ids of
 * any shards and route each to its own.
 */
/**
 * Settles messages of one shard, atomically and at most once each: acknowledges each (XACK), and only when
 * that XACK removed it from the group's pending list, copies its dead letters (if any) to the dead-letter
 * stream and takes its log entries off the shard's entry counter (StreamShard.entriesKey, clamped at 0:
 * entries written before the counter existed were never counted). A retry after a lost reply, or after
 * another shard of the same batch failed, therefore copies nothing twice and decrements nothing twice (a
 * MULTI of XADDs and one XACK did: its XADDs run whether or not the entry was still pending). A message
 * gone from the stream (XAUTOCLAIM reported it deleted, and Redis 7 has already dropped it from the pending
 * list) has its dead letters written anyway: they record the loss. Then, when dead letters were written,
 * the dead-letter bound, with exact XTRIM (it answers how many it removed, for the metric).
 * KEYS: stream, dead letters, entry counter (one slot). ARGV: group, consumer, failed-at, MINID bound or
 * '', MAXLEN bound or '0', then per message: raw id, its log entries, '1' when gone else '0', its number
 * of dead letters n, then n times: source id, payload, reason.
 * Returns {acknowledged, dead letters written, removed by age, removed by count}.
 */
const SETTLE_SCRIPT = `#!lua
local acked, moved, decrement, i = 0, 0, 0, 6
while i <= #ARGV do
  local removed = redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1
  local letters = tonumber(ARGV[i + 3])
  if removed then
    acked = acked + 1
    decrement = decrement + tonumber(ARGV[i + 1])
  end
  if removed or ARGV[i + 2] == '1' then
    for j = i + 4, i + 3 + 3 * letters, 3 do
      redis.call('XADD', KEYS[2], '*', 'source-id', ARGV[j], '${STREAM_PAYLOAD_FIELD}', ARGV[j + 1],
        'reason', ARGV[j + 2], 'failed-at', ARGV[3], 'consumer', ARGV[2])
      moved = moved + 1
    end
  end
  i = i + 4 + 3 * letters
end
if decrement > 0 and redis.call('DECRBY', KEYS[3], decrement) < 0 then redis.call('SET', KEYS[3], 0) end
local byAge, byCount = 0, 0
if moved > 0 and ARGV[4] ~= '' then byAge = redis.call('XTRIM', KEYS[2], 'MINID', ARGV[4]) end
if moved > 0 and ARGV[5] ~= '0' then byCount = redis.call('XTRIM', KEYS[2], 'MAXLEN', ARGV[5]) end
return {acked, moved, byAge, byCount}
`;

/**
 * Trims what every group acknowledged (XTRIM MINID), and when that leaves the shard's stream empty, sets
 * its entry counter to 0: nothing is then pending or waiting, so whatever the counter drifted by (entries
 * deleted from the stream without being settled, an upgrade's uncounted entries) is forgotten. One script,
 * so an append (whose script writes the entry and its count together) cannot fall between the check and
 * the reset. KEYS: stream, entry counter. ARGV: MINID. Returns the entries removed.
 */
const TRIM_SCRIPT = `#!lua
local removed = redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
if redis.call('XLEN', KEYS[1]) == 0 and redis.call('EXISTS', KEYS[2]) == 1 then redis.call('SET', KEYS[2], 0) end
return removed
`;

type ScriptedRedis = RedisClient & {
  logpipeSettle(
    stream: string,
    dead: string,
    entries: string,
    ...args: string[]
  ): Promise<[number, number, number, number]>;
  logpipeTrim(stream: string, entries: string, minId: string): Promise<number>;
};

/** One stream message the worker is done with: acknowledged, with its dead letters, in StreamConsumer.settle. */
export interface SettledMessage {
  /** its (qualified) stream id */
  id: string;
  /** the log entries it carries (1 for a single entry, a chunk's length), taken off the entry counter */
  entries: number;
  /** dead letters to write for it (its entries that could not be stored, or the whole message) */
  deadLetters: readonly DeadLetterItem[];
  /** the message is gone from the stream (payload null): its dead letters are written even though XACK finds nothing */
  gone?: boolean;
}

/** What settle() did. */
export interface SettleOutcome extends DeadLetterOutcome {
  /** messages its XACKs removed from the pending list (a repeated call finds them gone) */
  acknowledged: number;
}

@Injectable()
export class StreamConsumer implements OnApplicationShutdown {
  readonly consumerName: string;
  private readonly commands: RedisClient;
  private readonly blocking: RedisClient;
  private readonly stopping = new AbortController();
  private readonly layout: StreamLayout;
  // Per shard, where the next readPending continues; '0' means "from this consumer's oldest pending entry".
  private readonly pendingCursors: string[];
  // The shard readPending is working through.
  private pendingShard = 0;
  // The shard readNew looks at first, so that every shard gets its turn.
  private nextShard = 0;

  constructor(@Inject(STREAM_CLIENT_OPTIONS) private readonly options: ResolvedStreamClientOptions) {
    this.consumerName = options.consumerName;
    this.layout = new StreamLayout(options);
    this.pendingCursors = this.layout.shards.map(() => '0');
    this.commands = createRedisConnection('consumer', options);
    // EVALSHA, falling back to EVAL once after a Redis restart flushed the script cache.
    this.commands.defineCommand('logpipeSettle', { numberOfKeys: 3, lua: SETTLE_SCRIPT });
    this.commands.defineCommand('logpipeTrim', { numberOfKeys: 2, lua: TRIM_SCRIPT });
    this.blocking = createRedisConnection('consumer-blocking', options);
  }

  /** XGROUP CREATE ... 0 MKSTREAM: a new group starts at the stream's first entry; an existing one is kept. */
  async ensureGroup(): Promise<void> {
    for (const shard of this.layout.shards) {
      await this.run('ensureGroup', async (redis) => {
        try {
          await redis.xgroup('CREATE', shard.streamKey, this.options.groupName, '0', 'MKSTREAM');
        } catch (error) {
          if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) {
            throw error;
          }
        }
      });
    }
  }

  /** The shards, in index order. */
  get shards(): readonly StreamShard[] {
    return this.layout.shards;
  }

  /**
   * This consumer's own delivered-but-unacknowledged entries, oldest first, `count` at a time: each call
   * continues after the last id the previous call returned; a call that finds nothing returns [] and
   * starts over from the oldest on the next call (so entries left unacknowledged come round again).
   * Shards are worked through one after another; one call returns entries of one shard.
   */
  async readPending(count: number): Promise<StreamMessage[]> {
    assertCount(count);
    for (; this.pendingShard < this.layout.shards.length; this.pendingShard++) {
      const shard = this.layout.shards[this.pendingShard];
      const cursor = this.pendingCursors[shard.index];
      const reply = await this.inGroup('readPending', (redis) =>
        redis.callBuffer(
          'XREADGROUP',
          'GROUP',
          this.options.groupName,
          this.consumerName,
          'COUNT',
          count,
          'STREAMS',
          shard.streamKey,
          cursor,
        ),
      );
      const messages = parseReadReply(reply);
      if (messages.length > 0) {
        this.pendingCursors[shard.index] = messages[messages.length - 1].id;
        return this.withDeliveryCounts(this.qualified(shard, messages));
      }
      this.pendingCursors[shard.index] = '0';
    }
    this.pendingShard = 0;
    return [];
  }

  /**
   * New entries for this consumer (XREADGROUP ... >), waiting up to `blockMs` for some to arrive;
   * [] when none did. blockMs <= 0 means "do not wait" (unlike Redis, where BLOCK 0 waits forever).
   * A connection that drops during the wait is waited for within the same window, and a group that
   * vanished (Redis restarted empty) is recreated. Rejects with StreamUnavailableError when Redis
   * stays unreachable for the whole window (at least commandTimeoutMs); returns [] once stop() is called.
   * Several shards: the others are looked at without waiting, then the wait (one slice at a time) is
   * on one shard, the next one each slice, so an entry waits at most one slice (250 ms) for its turn.
   * One call returns entries of one shard.
   */
  async readNew(count: number, blockMs: number): Promise<StreamMessage[]> {
    assertCount(count);
    const deadline = Date.now() + Math.max(0, blockMs);
    for (;;) {
      if (this.stopping.signal.aborted) {
        return [];
      }
      const remaining = deadline - Date.now();
      try {
        await waitUntilReady(
          this.blocking,
          Math.max(remaining, this.options.commandTimeoutMs),
          this.stopping.signal,
        );
        const messages = await this.readNewFromEachShard(count, remaining);
        if (messages.length > 0 || Date.now() >= deadline) {
          return messages;
        }
      } catch (error) {
        if (this.stopping.signal.aborted) {
          return [];
        }
        if (isNoGroupError(error)) {
          await this.ensureGroup();
          if (Date.now() >= deadline) {
            return [];
          }
          continue;
        }
        const mapped = toStreamError(error, 'readNew');
        if (!(mapped instanceof StreamUnavailableError) || Date.now() >= deadline) {
          throw mapped;
        }
        await sleep(Math.min(RECONNECT_PAUSE_MS, Math.max(0, deadline - Date.now())));
      }
    }
  }

  /**
   * Acknowledges single-entry messages (each counts as one log entry): settle() without dead letters.
   * Resolves how many of the ids were still pending.
   */
  async ack(ids: readonly string[]): Promise<number> {
    const outcome = await this.settle(ids.map((id) => ({ id, entries: 1, deadLetters: [] })));
    return outcome.acknowledged;
  }

  /**
   * Dead-letters single-entry messages (each counts as one log entry, `item.id` is its stream id): settle()
   * with the message itself as its one dead letter.
   */
  async deadLetter(items: readonly DeadLetterItem[]): Promise<DeadLetterOutcome> {
    const { droppedByAge, droppedByCount } = await this.settle(
      items.map((item) => ({ id: item.id, entries: 1, deadLetters: [item], gone: item.payload === null })),
    );
    return { droppedByAge, droppedByCount };
  }

  /**
   * Acknowledges the messages, writes their dead letters and takes their log entries off the entry counter,
   * one script per shard (SETTLE_SCRIPT), so a message is never acknowledged without its dead letters (each
   * with its source id, reason, time and this consumer), never has them copied without being acknowledged,
   * and a repeated call (a lost reply, another shard of the batch failing) copies and decrements nothing
   * twice. The same script applies the dead-letter bound (deadLetterMaxEntries, deadLetterMaxAgeMs) with
   * exact XTRIM MAXLEN / MINID rather than XADD's own MAXLEN/MINID arguments: XTRIM answers how many
   * entries it removed, which the caller counts in a metric, and a dead-letter stream is small enough that
   * exact trimming costs nothing measurable.
   * Several shards: each shard's messages go to that shard's own dead-letter stream and counter, in one
   * script call per shard (its keys share a slot; a script across shards is impossible on a cluster).
   */
  async settle(messages: readonly SettledMessage[]): Promise<SettleOutcome> {
    const byShard = new Map<StreamShard, { raw: string; message: SettledMessage }[]>();
    for (const message of messages) {
      const located = this.layout.locate(message.id);
      if (located === null) throw new Error(`Not a stream id of this layout: ${message.id}`);
      const list = byShard.get(located.shard) ?? [];
      list.push({ raw: located.id, message });
      byShard.set(located.shard, list);
    }
    const outcomes = await Promise.all([...byShard].map(([shard, list]) => this.settleInShard(shard, list)));
    return outcomes.reduce(
      (sum, outcome) => ({
        acknowledged: sum.acknowledged + outcome.acknowledged,
        droppedByCount: sum.droppedByCount + outcome.droppedByCount,
        droppedByAge: sum.droppedByAge + outcome.droppedByAge,
      }),
      { acknowledged: 0, droppedByCount: 0, droppedByAge: 0 },
    );
  }

  private settleInShard(
    shard: StreamShard,
    messages: readonly { raw: string; message: SettledMessage }[],
  ): Promise<SettleOutcome> {
    const failedAt = new Date();
    const { deadLetterMaxEntries, deadLetterMaxAgeMs } = this.options;
    const args = [
      this.options.groupName,
      this.consumerName,
      failedAt.toISOString(),
      // Stream ids start with the Redis server's clock in ms; this host's clock is close enough for a
      // bound measured in hours or days.
      deadLetterMaxAgeMs > 0 ? `${failedAt.getTime() - deadLetterMaxAgeMs}-0` : '',
      String(deadLetterMaxEntries),
    ];
    for (const { raw, message } of messages) {
      args.push(raw, String(message.entries), message.gone ? '1' : '0', String(message.deadLetters.length));
      for (const letter of message.deadLetters) args.push(letter.id, letter.payload ?? '', letter.reason);
    }
    return this.run('settle', async (redis) => {
      const [acknowledged, , droppedByAge, droppedByCount] = await (redis as ScriptedRedis).logpipeSettle(
        shard.streamKey,
        shard.deadLetterStreamKey,
        shard.entriesKey,
        ...args,
      );
      return {
        acknowledged: Number(acknowledged),
        droppedByAge: Number(droppedByAge),
        droppedByCount: Number(droppedByCount),
      };
    });
  }

  /**
   * Takes over entries that have been pending (with any consumer, this one included) for at least
   * `minIdleMs`: XAUTOCLAIM from 0-0, following the cursor until `count` entries are claimed or the
   * whole pending list was scanned. Entries deleted from the stream meanwhile come back with payload
   * null (Redis has already dropped them from the pending list) and are not counted against `count`.
   */
  async claimIdle(minIdleMs: number, count: number): Promise<StreamMessage[]> {
    assertCount(count);
    const found: StreamMessage[] = [];
    let claimed = 0;
    // Shard after shard until `count` are claimed: a batch may hold entries of several shards.
    for (const shard of this.layout.shards) {
      if (claimed >= count) break;
      const page = await this.claimIdleInShard(shard, minIdleMs, count - claimed);
      found.push(...page);
      claimed += page.filter(stillInStream).length;
    }
    return this.withDeliveryCounts(found);
  }

  private async claimIdleInShard(
    shard: StreamShard,
    minIdleMs: number,
    count: number,
  ): Promise<StreamMessage[]> {
    const found: StreamMessage[] = [];
    let claimed = 0;
    let cursor = '0-0';
    do {
      const start = cursor;
      const reply = await this.inGroup('claimIdle', (redis) =>
        redis.callBuffer(
          'XAUTOCLAIM',
          shard.streamKey,
          this.options.groupName,
          this.consumerName,
          minIdleMs,
          start,
          'COUNT',
          count - claimed,
        ),
      );
      const page = parseAutoClaimReply(reply);
      found.push(...page.messages);
      claimed += page.messages.filter(stillInStream).length;
      cursor = page.nextCursor;
    } while (cursor !== '0-0' && claimed < count);
    return this.qualified(shard, found);
  }

  /** Delivery counts of those ids that are pending in the group (XPENDING over their id range). */
  async deliveryCounts(ids: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const [shard, rawIds] of this.layout.groupByShard(ids)) {
      for (const [id, count] of await this.deliveryCountsInShard(shard, rawIds)) {
        counts.set(this.layout.qualify(shard, id), count);
      }
    }
    return counts;
  }

  private async deliveryCountsInShard(
    shard: StreamShard,
    ids: readonly string[],
  ): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const wanted = new Set(ids);
    const first = minStreamId(ids);
    if (first === undefined) {
      return counts;
    }
    const last = ids.reduce((max, id) => (compareStreamIds(id, max) > 0 ? id : max));
    const pageSize = Math.max(PENDING_PAGE_SIZE, wanted.size);
    let start = first;
    for (;;) {
      const from = start;
      const rows = parsePendingEntries(
        await this.inGroup('deliveryCounts', (redis) =>
          redis.xpending(shard.streamKey, this.options.groupName, from, last, pageSize),
        ),
      );
      for (const row of rows) {
        if (wanted.has(row.id)) {
          counts.set(row.id, row.deliveryCount);
        }
      }
      if (rows.length < pageSize || counts.size === wanted.size) {
        return counts;
      }
      start = `(${rows[rows.length - 1].id}`;
    }
  }

  /**
   * XTRIM MINID up to the oldest entry that some group of the stream still needs: for each group its
   * smallest pending id, or (nothing pending) the entry after its last delivered one. Entries below
   * that were delivered to and acknowledged by every group. A stream without groups is left alone.
   * Resolves the number of entries removed (in all shards, each trimmed by its own groups). A shard's
   * stream left empty gets its entry counter reset to 0 (TRIM_SCRIPT).
   */
  async trimAcknowledged(): Promise<number> {
    let removed = 0;
    for (const shard of this.layout.shards) {
      removed += await this.trimAcknowledgedInShard(shard);
    }
    return removed;
  }

  private async trimAcknowledgedInShard(shard: StreamShard): Promise<number> {
    let groups: GroupInfo[];
    try {
      groups = parseGroupsInfo(
        await this.run('trimAcknowledged', (redis) => redis.xinfo('GROUPS', shard.streamKey)),
      );
    } catch (error) {
      if (isNoGroupError(error)) {
        return 0;
      }
      throw error;
    }
    if (groups.length === 0) {
      return 0;
    }
    // Read one group after another: a group can only move forward meanwhile, which makes these floors
    // conservative, never too high. (A group created after the XINFO is not seen; groups are created
    // when workers start, and one created at 0 while a trim runs could miss the trimmed entries.)
    const floors: string[] = [];
    for (const group of groups) {
      floors.push(await this.oldestNeededId(shard, group));
    }
    const minId = minStreamId(floors) as string;
    return this.run('trimAcknowledged', async (redis) =>
      Number(await (redis as ScriptedRedis).logpipeTrim(shard.streamKey, shard.entriesKey, minId)),
    );
  }

  /**
   * Pending entries, undelivered entries (lag) and consumers of this consumer's group, summed over the
   * shards (consumers: the most any shard has, since every consumer reads every shard).
   */
  async groupInfo(): Promise<ConsumerGroupStatus> {
    return summedGroupInfo(await this.groupInfoByShard());
  }

  /** groupInfo of each shard, by shard index. */
  async groupInfoByShard(): Promise<ConsumerGroupStatus[]> {
    const statuses: ConsumerGroupStatus[] = [];
    for (const shard of this.layout.shards) {
      statuses.push(await this.groupInfoOfShard(shard));
    }
    return statuses;
  }

  private async groupInfoOfShard(shard: StreamShard): Promise<ConsumerGroupStatus> {
    for (let attempt = 0; ; attempt++) {
      const groups = parseGroupsInfo(
        await this.inGroup('groupInfo', (redis) => redis.xinfo('GROUPS', shard.streamKey)),
      );
      const group = groups.find((candidate) => candidate.name === this.options.groupName);
      if (group) {
        return {
          pending: group.pending,
          lag: group.lag,
          lastDeliveredId: this.layout.qualify(shard, group.lastDeliveredId),
          consumers: group.consumers,
        };
      }
      if (attempt > 0) {
        throw new Error(`Consumer group ${this.options.groupName} is missing on ${shard.streamKey}`);
      }
      await this.ensureGroup();
    }
  }

  /**
   * Makes an in-progress readNew return within one read slice (at most 250 ms) and later ones at once
   * with []; acks and other commands keep working until the application shuts down.
   */
  stop(): void {
    this.stopping.abort();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stop();
    await Promise.all([
      closeConnection(this.blocking, this.options.commandTimeoutMs),
      closeConnection(this.commands, this.options.commandTimeoutMs),
    ]);
  }

  /**
   * One look at every shard, starting with `nextShard`: without waiting at the first ones, and (when
   * time remains) waiting one slice at the last. Entries read with '>' were never delivered before.
   */
  private async readNewFromEachShard(count: number, remainingMs: number): Promise<StreamMessage[]> {
    const shards = this.layout.shards;
    for (let i = 0; i < shards.length; i++) {
      const shard = shards[(this.nextShard + i) % shards.length];
      const last = i === shards.length - 1;
      const reply = await this.readNewOnce(shard, count, last ? remainingMs : 0);
      const messages = parseReadReply(reply);
      if (messages.length > 0 || last) {
        this.nextShard = (shard.index + 1) % shards.length;
        return this.qualified(shard, messages).map((message) => ({ ...message, deliveryCount: 1 }));
      }
    }
    return [];
  }

  private readNewOnce(shard: StreamShard, count: number, remainingMs: number): Promise<unknown> {
    const { groupName } = this.options;
    const { streamKey } = shard;
    if (remainingMs <= 0) {
      return this.blocking.callBuffer(
        'XREADGROUP',
        'GROUP',
        groupName,
        this.consumerName,
        'COUNT',
        count,
        'STREAMS',
        streamKey,
        '>',
      );
    }
    const blockMs = Math.min(remainingMs, MAX_BLOCK_SLICE_MS);
    return this.blocking.callBuffer(
      'XREADGROUP',
      'GROUP',
      groupName,
      this.consumerName,
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      streamKey,
      '>',
    );
  }

  private async oldestNeededId(shard: StreamShard, group: GroupInfo): Promise<string> {
    if (group.pending > 0) {
      const summary = parsePendingSummary(
        await this.run('trimAcknowledged', (redis) => redis.xpending(shard.streamKey, group.name)),
      );
      if (summary.smallestId !== null) {
        return summary.smallestId;
      }
    }
    return successorStreamId(group.lastDeliveredId);
  }

  private async withDeliveryCounts(messages: StreamMessage[]): Promise<StreamMessage[]> {
    if (messages.length === 0) {
      return messages;
    }
    // Ids that are no longer pending (deleted entries XAUTOCLAIM reports) simply get no count.
    const counts = await this.deliveryCounts(messages.map((message) => message.id));
    return messages.map((message) => {
      const deliveryCount = counts.get(message.id);
      return deliveryCount === undefined ? message : { ...message, deliveryCount };
    });
  }

  /** Messages of `shard` with their ids qualified by it (unchanged in the plain layout). */
  private qualified(shard: StreamShard, messages: StreamMessage[]): StreamMessage[] {
    if (!this.layout.tagged) return messages;
    return messages.map((message) => ({ ...message, id: this.layout.qualify(shard, message.id) }));
  }

  /** Runs a group command; if the group is gone (Redis restarted empty), recreates it and retries once. */
  private async inGroup<T>(operation: string, command: (redis: RedisClient) => Promise<T>): Promise<T> {
    try {
      return await this.run(operation, command);
    } catch (error) {
      if (!isNoGroupError(error)) {
        throw error;
      }
      await this.ensureGroup();
      return this.run(operation, command);
    }
  }

  private run<T>(operation: string, command: (redis: RedisClient) => Promise<T>): Promise<T> {
    return runWhenReady(this.commands, this.options.commandTimeoutMs, operation, command);
  }
}
