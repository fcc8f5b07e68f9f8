import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisConnection } from './redis-connection.factory';
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
import { isNoGroupError, StreamUnavailableError, toStreamError } from './stream-unavailable.error';

// Long reads are split into slices this short so that stop() takes effect promptly without cutting a
// read off mid-reply (which would leave delivered entries pending with nobody processing them).
const MAX_BLOCK_SLICE_MS = 250;
// Pause after a dropped connection before waiting for it again, so a flapping socket cannot spin.
const RECONNECT_PAUSE_MS = 100;
const PENDING_PAGE_SIZE = 100;

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
  lastDeliveredId: string;
  consumers: number;
}

/**
 * One member of the consumer group. Blocking reads run on their own connection so that acks, claims
 * and trims on the other connection never queue behind a BLOCK. Connections open on first use, so an
 * app that only produces pays nothing for this provider.
 */
@Injectable()
export class StreamConsumer implements OnApplicationShutdown {
  readonly consumerName: string;
  private readonly commands: Redis;
  private readonly blocking: Redis;
  private readonly stopping = new AbortController();
  // Where the next readPending continues; '0' means "from this consumer's oldest pending entry".
  private pendingCursor = '0';

  constructor(@Inject(STREAM_CLIENT_OPTIONS) private readonly options: ResolvedStreamClientOptions) {
    this.consumerName = options.consumerName;
    this.commands = createRedisConnection('consumer', options);
    this.blocking = createRedisConnection('consumer-blocking', options);
  }

  /** XGROUP CREATE ... 0 MKSTREAM: a new group starts at the stream's first entry; an existing one is kept. */
  async ensureGroup(): Promise<void> {
    await this.run('ensureGroup', async (redis) => {
      try {
        await redis.xgroup('CREATE', this.options.streamKey, this.options.groupName, '0', 'MKSTREAM');
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) {
          throw error;
        }
      }
    });
  }

  /**
   * This consumer's own delivered-but-unacknowledged entries, oldest first, `count` at a time: each call
   * continues after the last id the previous call returned; a call that finds nothing returns [] and
   * starts over from the oldest on the next call (so entries left unacknowledged come round again).
   */
  async readPending(count: number): Promise<StreamMessage[]> {
    assertCount(count);
    const reply = await this.inGroup('readPending', (redis) =>
      redis.xreadgroup(
        'GROUP',
        this.options.groupName,
        this.consumerName,
        'COUNT',
        count,
        'STREAMS',
        this.options.streamKey,
        this.pendingCursor,
      ),
    );
    const messages = parseReadReply(reply);
    if (messages.length === 0) {
      this.pendingCursor = '0';
      return [];
    }
    this.pendingCursor = messages[messages.length - 1].id;
    return this.withDeliveryCounts(messages);
  }

  /**
   * New entries for this consumer (XREADGROUP ... >), waiting up to `blockMs` for some to arrive;
   * [] when none did. blockMs <= 0 means "do not wait" (unlike Redis, where BLOCK 0 waits forever).
   * A connection that drops during the wait is waited for within the same window, and a group that
   * vanished (Redis restarted empty) is recreated. Rejects with StreamUnavailableError when Redis
   * stays unreachable for the whole window (at least commandTimeoutMs); returns [] once stop() is called.
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
        const reply = await this.readNewOnce(count, remaining);
        // Entries read with '>' have never been delivered to this group before.
        const messages = parseReadReply(reply).map((message) => ({ ...message, deliveryCount: 1 }));
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

  /** XACK; resolves how many of the ids were still pending. */
  async ack(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) {
      return 0;
    }
    return this.run('ack', (redis) => redis.xack(this.options.streamKey, this.options.groupName, ...ids));
  }

  /**
   * Copies each entry to the dead-letter stream (with its source id, reason, time and this consumer) and
   * acknowledges it, in one MULTI/EXEC, so an entry is never acknowledged without its dead-letter copy
   * and never copied without being acknowledged. The same transaction applies the dead-letter bound
   * (deadLetterMaxEntries, deadLetterMaxAgeMs) with exact XTRIM MAXLEN / MINID rather than XADD's own
   * MAXLEN/MINID arguments: XTRIM answers how many entries it removed, which the caller counts in a
   * metric, and a dead-letter stream is small enough that exact trimming costs nothing measurable.
   */
  async deadLetter(items: readonly DeadLetterItem[]): Promise<DeadLetterOutcome> {
    if (items.length === 0) {
      return { droppedByCount: 0, droppedByAge: 0 };
    }
    const failedAt = new Date();
    const { deadLetterStreamKey, deadLetterMaxEntries, deadLetterMaxAgeMs } = this.options;
    return this.run('deadLetter', async (redis) => {
      const transaction = redis.multi();
      for (const item of items) {
        transaction.xadd(
          deadLetterStreamKey,
          '*',
          'source-id',
          item.id,
          STREAM_PAYLOAD_FIELD,
          item.payload ?? '',
          'reason',
          item.reason,
          'failed-at',
          failedAt.toISOString(),
          'consumer',
          this.consumerName,
        );
      }
      transaction.xack(this.options.streamKey, this.options.groupName, ...items.map((item) => item.id));
      if (deadLetterMaxAgeMs > 0) {
        // Stream ids start with the Redis server's clock in ms; this host's clock is close enough for a
        // bound measured in hours or days.
        transaction.xtrim(deadLetterStreamKey, 'MINID', `${failedAt.getTime() - deadLetterMaxAgeMs}-0`);
      }
      if (deadLetterMaxEntries > 0) {
        transaction.xtrim(deadLetterStreamKey, 'MAXLEN', deadLetterMaxEntries);
      }
      const results = await transaction.exec();
      if (results === null) {
        throw new Error('MULTI/EXEC was aborted');
      }
      const failed = results.find(([error]) => error);
      if (failed) {
        throw failed[0];
      }
      const trims = results.slice(items.length + 1).map(([, removed]) => Number(removed));
      return {
        droppedByAge: deadLetterMaxAgeMs > 0 ? (trims.shift() ?? 0) : 0,
        droppedByCount: deadLetterMaxEntries > 0 ? (trims.shift() ?? 0) : 0,
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
    let cursor = '0-0';
    do {
      const start = cursor;
      const reply = await this.inGroup('claimIdle', (redis) =>
        redis.xautoclaim(
          this.options.streamKey,
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
      claimed += page.messages.filter((message) => message.payload !== null).length;
      cursor = page.nextCursor;
    } while (cursor !== '0-0' && claimed < count);
    return this.withDeliveryCounts(found);
  }

  /** Delivery counts of those ids that are pending in the group (XPENDING over their id range). */
  async deliveryCounts(ids: readonly string[]): Promise<Map<string, number>> {
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
          redis.xpending(this.options.streamKey, this.options.groupName, from, last, pageSize),
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
   * Resolves the number of entries removed.
   */
  async trimAcknowledged(): Promise<number> {
    let groups: GroupInfo[];
    try {
      groups = parseGroupsInfo(
        await this.run('trimAcknowledged', (redis) => redis.xinfo('GROUPS', this.options.streamKey)),
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
      floors.push(await this.oldestNeededId(group));
    }
    const minId = minStreamId(floors) as string;
    return this.run('trimAcknowledged', (redis) => redis.xtrim(this.options.streamKey, 'MINID', minId));
  }

  /** Pending entries, undelivered entries (lag) and consumers of this consumer's group. */
  async groupInfo(): Promise<ConsumerGroupStatus> {
    for (let attempt = 0; ; attempt++) {
      const groups = parseGroupsInfo(
        await this.inGroup('groupInfo', (redis) => redis.xinfo('GROUPS', this.options.streamKey)),
      );
      const group = groups.find((candidate) => candidate.name === this.options.groupName);
      if (group) {
        return {
          pending: group.pending,
          lag: group.lag,
          lastDeliveredId: group.lastDeliveredId,
          consumers: group.consumers,
        };
      }
      if (attempt > 0) {
        throw new Error(`Consumer group ${this.options.groupName} is missing on ${this.options.streamKey}`);
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

  private readNewOnce(count: number, remainingMs: number): Promise<unknown> {
    const { groupName, streamKey } = this.options;
    if (remainingMs <= 0) {
      return this.blocking.xreadgroup(
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
    return this.blocking.xreadgroup(
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

  private async oldestNeededId(group: GroupInfo): Promise<string> {
    if (group.pending > 0) {
      const summary = parsePendingSummary(
        await this.run('trimAcknowledged', (redis) => redis.xpending(this.options.streamKey, group.name)),
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

  /** Runs a group command; if the group is gone (Redis restarted empty), recreates it and retries once. */
  private async inGroup<T>(operation: string, command: (redis: Redis) => Promise<T>): Promise<T> {
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

  private run<T>(operation: string, command: (redis: Redis) => Promise<T>): Promise<T> {
    return runWhenReady(this.commands, this.options.commandTimeoutMs, operation, command);
  }
}
