import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createRedisConnection, type RedisClient } from './redis-connection.factory';
import { closeConnection, runWhenReady } from './redis-connection.lifecycle';
import {
  STREAM_CLIENT_OPTIONS,
  STREAM_PAYLOAD_FIELD,
  type ResolvedStreamClientOptions,
} from './stream-client.options';
import { StreamLayout, type StreamShard } from './stream-shards';

/** One entry of the dead-letter stream, as StreamConsumer.deadLetter wrote it. */
export interface DeadLetter {
  /** Its id in the dead-letter stream (qualified by its shard when sharded): what show/replay/purge take. */
  id: string;
  /** The id it had in the log stream. */
  sourceId: string | null;
  payload: string | null;
  reason: string;
  failedAt: string | null;
  consumer: string | null;
}

export interface DeadLetterPage {
  entries: DeadLetter[];
  /** Pass as `after` for the next page; null on the last. */
  next: string | null;
}

export interface DeadLetterSummary {
  total: number;
  /** Most frequent first. */
  reasons: { reason: string; count: number }[];
}

/** Which dead letters an operation applies to. */
export type DeadLetterSelector = { ids: readonly string[] } | { all: true } | { reason: string };

/**
 * What replay should queue for one dead letter (its value, and the log entries it carries when a chunk:
 * they go onto the shard's entry counter, default 1), or why it must stay where it is.
 */
export type ReplayPreparation = { payload: string; entries?: number } | { refused: string };

export interface ReplayResult {
  /** dead-letter id -> the new id in the log stream */
  queued: { id: string; streamId: string }[];
  /** left in the dead-letter stream: not found, refused by `prepare`, or replayed by someone else meanwhile */
  skipped: { id: string; reason: string }[];
}

const PAGE = 500;

/**
 * Queues one dead letter again: XADD to the log stream, INCRBY its entries onto the shard's entry counter
 * (as ingest's append does, in the same script, so the worker can never settle it before it is counted)
 * and (unless kept) XDEL from the dead-letter stream, in one script, so a replay is never half done, and
 * two replays of the same entry racing each other queue it once (the second finds it gone and returns nil).
 */
const REPLAY_SCRIPT = `#!lua
if #redis.call('XRANGE', KEYS[2], ARGV[2], ARGV[2]) == 0 then return false end
local id = redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[3])
redis.call('INCRBY', KEYS[3], ARGV[5])
redis.call('INCRBY', KEYS[4], ARGV[5])
if ARGV[4] == '0' then redis.call('XDEL', KEYS[2], ARGV[2]) end
return id`;

type ScriptedRedis = RedisClient & {
  logpipeReplay(
    stream: string,
    dead: string,
    entries: string,
    appended: string,
    field: string,
    deadId: string,
    payload: string,
    keep: '0' | '1',
    entryCount: string,
  ): Promise<string | null>;
};

function fieldsOf(entry: [string, string[]], id: string): DeadLetter {
  const [, list] = entry;
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < list.length; i += 2) fields.set(list[i], list[i + 1]);
  return {
    id,
    sourceId: fields.get('source-id') ?? null,
    payload: fields.get(STREAM_PAYLOAD_FIELD) ?? null,
    reason: fields.get('reason') ?? '(no reason recorded)',
    failedAt: fields.get('failed-at') ?? null,
    consumer: fields.get('consumer') ?? null,
  };
}

/** A reason filter matches the whole reason or its beginning: `undecodable` matches `undecodable: not valid JSON`. */
export function reasonMatches(reason: string, filter: string): boolean {
  return reason === filter || reason.startsWith(filter);
}

/**
 * The operator's view of the dead-letter stream (the CLI and ingest's admin routes): list, count by
 * reason, show, replay into the log stream, purge. The stream is bounded (deadLetterMaxEntries /
 * deadLetterMaxAgeMs), so reading all of it for counts or a selection is cheap enough for an admin command.
 * Several shards: every shard has its own dead-letter stream; listing goes through them shard after
 * shard (oldest first within each), and a replayed entry goes back to the stream of its own shard.
 */
@Injectable()
export class DeadLetters implements OnApplicationShutdown {
  private readonly redis: ScriptedRedis;
  private readonly layout: StreamLayout;

  constructor(@Inject(STREAM_CLIENT_OPTIONS) private readonly options: ResolvedStreamClientOptions) {
    this.layout = new StreamLayout(options);
    this.redis = createRedisConnection('admin', options) as ScriptedRedis;
    this.redis.defineCommand('logpipeReplay', { numberOfKeys: 4, lua: REPLAY_SCRIPT });
  }

  /** Oldest first, `count` at a time, starting after `after`; optionally only one reason. */
  async list(options: { count: number; after?: string; reason?: string }): Promise<DeadLetterPage> {
    const entries: DeadLetter[] = [];
    const after = options.after === undefined ? null : this.layout.locate(options.after);
    const shards = this.layout.shards.slice(after?.shard.index ?? 0);
    for (const [position, shard] of shards.entries()) {
      let start = position === 0 && after !== null ? `(${after.id}` : '-';
      for (;;) {
        const page = await this.range(shard, start, PAGE);
        for (const [rawId, letter] of page) {
          if (options.reason === undefined || reasonMatches(letter.reason, options.reason)) {
            entries.push(letter);
            if (entries.length === options.count) {
              return { entries, next: (await this.anyAfter(shard, rawId)) ? letter.id : null };
            }
          }
        }
        if (page.length < PAGE) break;
        start = `(${page[page.length - 1][0]}`;
      }
    }
    return { entries, next: null };
  }

  /** null when there is none (or `id` is not a dead-letter id at all). */
  async get(id: string): Promise<DeadLetter | null> {
    const located = this.layout.locate(id);
    if (located === null) return null;
    return (await this.range(located.shard, located.id, 1, located.id))[0]?.[1] ?? null;
  }

  async summary(): Promise<DeadLetterSummary> {
    const counts = new Map<string, number>();
    let total = 0;
    for await (const letter of this.all()) {
      total += 1;
      counts.set(letter.reason, (counts.get(letter.reason) ?? 0) + 1);
    }
    const reasons = [...counts].map(([reason, count]) => ({ reason, count }));
    reasons.sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
    return { total, reasons };
  }

  /** The dead letters a selector names; ids that are not there come back in `missing`. */
  async select(selector: DeadLetterSelector): Promise<{ letters: DeadLetter[]; missing: string[] }> {
    if ('ids' in selector) {
      const letters: DeadLetter[] = [];
      const missing: string[] = [];
      for (const id of selector.ids) {
        const letter = await this.get(id);
        if (letter === null) missing.push(id);
        else letters.push(letter);
      }
      return { letters, missing };
    }
    const letters: DeadLetter[] = [];
    for await (const letter of this.all()) {
      if ('all' in selector || reasonMatches(letter.reason, selector.reason)) letters.push(letter);
    }
    return { letters, missing: [] };
  }

  /**
   * Queues the selected dead letters on the log stream again, each as `prepare` rewrites it (the caller
   * re-validates and fixes the event id there), and removes them from the dead-letter stream unless `keep`.
   */
  async replay(
    selector: DeadLetterSelector,
    prepare: (letter: DeadLetter) => ReplayPreparation,
    options: { keep?: boolean } = {},
  ): Promise<ReplayResult> {
    const { letters, missing } = await this.select(selector);
    const result: ReplayResult = {
      queued: [],
      skipped: missing.map((id) => ({ id, reason: 'no such dead letter' })),
    };
    for (const letter of letters) {
      const prepared = prepare(letter);
      if ('refused' in prepared) {
        result.skipped.push({ id: letter.id, reason: prepared.refused });
        continue;
      }
      const { shard, id } = this.layout.locate(letter.id) as { shard: StreamShard; id: string };
      const streamId = await this.run('replay', (redis) =>
        redis.logpipeReplay(
          shard.streamKey,
          shard.deadLetterStreamKey,
          shard.entriesKey,
          shard.appendedKey,
          STREAM_PAYLOAD_FIELD,
          id,
          prepared.payload,
          options.keep ? '1' : '0',
          String(prepared.entries ?? 1),
        ),
      );
      if (streamId === null)
        result.skipped.push({ id: letter.id, reason: 'gone meanwhile (replayed or purged)' });
      else result.queued.push({ id: letter.id, streamId: this.layout.qualify(shard, streamId) });
    }
    return result;
  }

  /** Deletes the selected dead letters; resolves how many were removed. */
  async purge(selector: DeadLetterSelector): Promise<number> {
    if ('all' in selector) {
      const length = await this.length();
      // DEL rather than XDEL of every id: one command per shard, and an empty stream needs no key.
      for (const shard of this.layout.shards) {
        await this.run('purge', (redis) => redis.del(shard.deadLetterStreamKey));
      }
      return length;
    }
    const { letters } = await this.select(selector);
    let removed = 0;
    for (const [shard, rawIds] of this.layout.groupByShard(letters.map((letter) => letter.id))) {
      for (let i = 0; i < rawIds.length; i += PAGE) {
        const ids = rawIds.slice(i, i + PAGE);
        removed += await this.run('purge', (redis) => redis.xdel(shard.deadLetterStreamKey, ...ids));
      }
    }
    return removed;
  }

  /** Dead letters in all shards. */
  async length(): Promise<number> {
    let total = 0;
    for (const shard of this.layout.shards) {
      total += await this.run('length', (redis) => redis.xlen(shard.deadLetterStreamKey));
    }
    return total;
  }

  async onApplicationShutdown(): Promise<void> {
    await closeConnection(this.redis, this.options.commandTimeoutMs);
  }

  private async *all(): AsyncGenerator<DeadLetter> {
    for (const shard of this.layout.shards) {
      let start = '-';
      for (;;) {
        const page = await this.range(shard, start, PAGE);
        yield* page.map(([, letter]) => letter);
        if (page.length < PAGE) break;
        start = `(${page[page.length - 1][0]}`;
      }
    }
  }

  /** Whether any dead letter comes after `rawId` of `shard` in listing order. */
  private async anyAfter(shard: StreamShard, rawId: string): Promise<boolean> {
    if ((await this.range(shard, `(${rawId}`, 1)).length > 0) return true;
    for (const later of this.layout.shards.slice(shard.index + 1)) {
      if ((await this.range(later, '-', 1)).length > 0) return true;
    }
    return false;
  }

  /** [raw id in the shard's dead-letter stream, the dead letter with its qualified id] */
  private async range(
    shard: StreamShard,
    start: string,
    count: number,
    end = '+',
  ): Promise<[string, DeadLetter][]> {
    const reply = await this.run('range', (redis) =>
      redis.xrange(shard.deadLetterStreamKey, start, end, 'COUNT', count),
    );
    return reply.map((entry) => [entry[0], fieldsOf(entry, this.layout.qualify(shard, entry[0]))]);
  }

  private run<T>(operation: string, command: (redis: ScriptedRedis) => Promise<T>): Promise<T> {
    return runWhenReady(this.redis, this.options.commandTimeoutMs, `dead letters: ${operation}`, (redis) =>
      command(redis as ScriptedRedis),
    );
  }
}
