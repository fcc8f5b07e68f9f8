// The apps compile this file with their own tsconfig, which would not see the declaration otherwise.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./cluster-key-slot.d.ts" />
import calculateSlot from 'cluster-key-slot';
import type { ResolvedStreamClientOptions } from './stream-client.options';

/** Redis Cluster's hash slots (CRC16 of the key's hash tag, modulo 16384). */
const CLUSTER_SLOTS = 16384;

/** One shard of the log stream: its stream and dead-letter keys, which always share a hash slot. */
export interface StreamShard {
  index: number;
  streamKey: string;
  deadLetterStreamKey: string;
  /**
   * The shard's backlog in log entries (a chunk counts its entries): the appends INCRBY it, the
   * worker DECRBYs it when it acknowledges (XACK) or dead-letters a stream entry, clamped at 0 (entries
   * written before the counter existed were never counted). Same hash slot as streamKey.
   */
  entriesKey: string;
  /**
   * Log entries ever appended to the shard (the append and replay scripts INCRBY it with the backlog
   * counter; nothing takes them off): what XINFO's entries-added counted before chunks, for operators'
   * rates and the tests' and bench's exactly-once checks. Same hash slot as streamKey.
   */
  appendedKey: string;
}

/** A stream id together with the shard it lives in. */
export interface ShardedId {
  shard: StreamShard;
  id: string;
}

const QUALIFIED_ID = /^s(\d+):(\d+-\d+)$/;

/** The shape of a dead-letter (or stream) id callers see, in either layout: `1764460800000-0` or `s1:1764460800000-0`. */
export const DEAD_LETTER_ID_PATTERN = /^(s\d+:)?\d+-\d+$/;
const STREAM_ID = /^\d+-\d+$/;

/**
 * The hash tag of shard `index` of `count`: `s<index>` when its slot already lies in the index-th
 * count-th of the slot range, else `s<index>.<n>` with the smallest n that puts it there. Plain `s0`,
 * `s1`, `s2` hash to slots 11097, 15224 and 2843, so on a cluster whose masters split the slots evenly
 * (as `redis-cli --cluster create` does) two of three shards would share a master and the third master
 * would get none (measured with tools/bench/redis-shards.mjs). Chosen tags spread the shards evenly
 * over such a cluster whenever the shard count is a multiple of the master count.
 */
export function shardTag(index: number, count: number): string {
  const first = Math.floor((index * CLUSTER_SLOTS) / count);
  const end = Math.floor(((index + 1) * CLUSTER_SLOTS) / count);
  const fits = (tag: string) => {
    const slot = calculateSlot(tag);
    return slot >= first && slot < end;
  };
  if (fits(`s${index}`)) return `s${index}`;
  // At most 64 shards, so the range holds at least 256 slots: a fitting n comes within a few hundred tries.
  for (let n = 1; ; n++) {
    if (fits(`s${index}.${n}`)) return `s${index}.${n}`;
  }
}

/**
 * `logs:stream` -> `logs:{s0}:stream`: the hash tag goes before the last segment, so each shard's
 * keys (stream, dead letters) hash to one slot and a MULTI or script over them is legal on a cluster.
 */
export function shardKey(baseKey: string, tag: string): string {
  const cut = baseKey.lastIndexOf(':');
  return cut < 0 ? `{${tag}}:${baseKey}` : `${baseKey.slice(0, cut)}:{${tag}}${baseKey.slice(cut)}`;
}

/**
 * Where the log stream lives in Redis. Plain layout (one shard on a single Redis, the default): the
 * keys and ids are exactly those of an unsharded Logpipe (`logs:stream`, `logs:dead`, ids as Redis
 * gives them), so an upgrade drains what is already queued. Tagged layout (STREAM_SHARDS > 1, or any
 * Redis Cluster, where `logs:stream` and `logs:dead` would sit in different slots): hash-tagged keys
 * per shard, and ids qualified by their shard (`s2:1700000000000-0`) because two shards hand out the
 * same ids; what the worker stores as stream_id and what the dead-letter routes show are these.
 */
export class StreamLayout {
  readonly shards: readonly StreamShard[];
  readonly tagged: boolean;
  /** Records the layout the keys were created with, so a different one is refused at start. */
  readonly recordKey: string;

  constructor(
    options: Pick<
      ResolvedStreamClientOptions,
      'streamKey' | 'deadLetterStreamKey' | 'shardCount' | 'clusterNodes'
    >,
  ) {
    this.tagged = options.shardCount > 1 || options.clusterNodes.length > 0;
    if (this.tagged) {
      for (const [name, key] of [
        ['streamKey', options.streamKey],
        ['deadLetterStreamKey', options.deadLetterStreamKey],
      ] as const) {
        // Redis hashes only the first {...}: a tag of the caller's own would put every shard in one slot.
        if (/[{}]/.test(key))
          throw new Error(`StreamClientOptions.${name} must not contain { or } when sharded`);
      }
    }
    this.shards = Array.from({ length: options.shardCount }, (_, index) => {
      if (!this.tagged) {
        return {
          index,
          streamKey: options.streamKey,
          deadLetterStreamKey: options.deadLetterStreamKey,
          entriesKey: `${options.streamKey}:entries`,
          appendedKey: `${options.streamKey}:appended`,
        };
      }
      const tag = shardTag(index, options.shardCount);
      return {
        index,
        streamKey: shardKey(options.streamKey, tag),
        deadLetterStreamKey: shardKey(options.deadLetterStreamKey, tag),
        entriesKey: `${shardKey(options.streamKey, tag)}:entries`,
        appendedKey: `${shardKey(options.streamKey, tag)}:appended`,
      };
    });
    this.recordKey = `${options.streamKey}:layout`;
  }

  /** What the record key holds for this layout. */
  get description(): string {
    return `shards=${this.shards.length};keys=${this.tagged ? 'tagged' : 'plain'}`;
  }

  /** The id callers see for entry `id` of `shard`. */
  qualify(shard: StreamShard, id: string): string {
    return this.tagged ? `s${shard.index}:${id}` : id;
  }

  /** The shard and raw Redis id of a qualified id; null when it is not one of this layout's. */
  locate(qualifiedId: string): ShardedId | null {
    if (!this.tagged) {
      return STREAM_ID.test(qualifiedId) ? { shard: this.shards[0], id: qualifiedId } : null;
    }
    const match = QUALIFIED_ID.exec(qualifiedId);
    const shard = match ? this.shards[Number(match[1])] : undefined;
    return match && shard ? { shard, id: match[2] } : null;
  }

  /** Raw ids grouped by shard; throws for an id of no shard (a caller's bug, not bad input). */
  groupByShard(qualifiedIds: readonly string[]): Map<StreamShard, string[]> {
    const groups = new Map<StreamShard, string[]>();
    for (const qualifiedId of qualifiedIds) {
      const located = this.locate(qualifiedId);
      if (located === null) throw new Error(`Not a stream id of this layout: ${qualifiedId}`);
      const ids = groups.get(located.shard) ?? [];
      ids.push(located.id);
      groups.set(located.shard, ids);
    }
    return groups;
  }
}

/** The stream was set up with a different shard count or key layout than this process is configured for. */
export class StreamLayoutMismatchError extends Error {
  override readonly name = 'StreamLayoutMismatchError';
}
