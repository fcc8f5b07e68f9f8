import type Redis from 'ioredis';

const fieldsOf = (reply: unknown[]): Record<string, unknown> => {
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) record[String(reply[i])] = reply[i + 1];
  return record;
};

export interface DrainState {
  backlogDrained: boolean;
  pendingEmpty: boolean;
}

/** Read-only views of one stream and its consumer group, for assertions and drain checks. */
export class StreamProbe {
  constructor(
    readonly redis: Redis,
    readonly streamKey: string,
    readonly deadKey: string,
    readonly group = 'log-workers',
  ) {}

  async info(): Promise<{ length: number; entriesAdded: number; lastGeneratedId: string }> {
    const info = fieldsOf((await this.redis.call('XINFO', 'STREAM', this.streamKey)) as unknown[]);
    return {
      length: Number(info['length']),
      entriesAdded: Number(info['entries-added']),
      lastGeneratedId: String(info['last-generated-id']),
    };
  }

  /**
   * Log entries ever appended (the producer's counter, StreamShard.appendedKey): with chunks, XINFO's
   * entries-added counts stream entries, each of which may hold hundreds of log entries.
   */
  async entriesAdded(): Promise<number> {
    return Number((await this.redis.get(`${this.streamKey}:appended`)) ?? 0);
  }

  /** The backlog in log entries (StreamShard.entriesKey), what ingest's backpressure compares to its marks. */
  async backlogEntries(): Promise<number> {
    return Math.max(0, Number((await this.redis.get(`${this.streamKey}:entries`)) ?? 0));
  }

  /** Stream entries (XLEN): chunks and single entries alike. */
  async length(): Promise<number> {
    return this.redis.xlen(this.streamKey);
  }

  async groupState(): Promise<{ pending: number; lastDeliveredId: string; consumers: number } | null> {
    const groups = ((await this.redis.call('XINFO', 'GROUPS', this.streamKey)) as unknown[][]).map(fieldsOf);
    const group = groups.find((g) => g['name'] === this.group);
    if (!group) return null;
    return {
      pending: Number(group['pending']),
      lastDeliveredId: String(group['last-delivered-id']),
      consumers: Number(group['consumers']),
    };
  }

  /** Pending entries per consumer name. */
  async pendingByConsumer(): Promise<Record<string, number>> {
    const consumers = (
      (await this.redis.call('XINFO', 'CONSUMERS', this.streamKey, this.group)) as unknown[][]
    ).map(fieldsOf);
    return Object.fromEntries(consumers.map((c) => [String(c['name']), Number(c['pending'])]));
  }

  /** Ids pending in the group: all of them, or one consumer's. */
  async pendingIds(consumer?: string): Promise<string[]> {
    const args: (string | number)[] = [this.streamKey, this.group, '-', '+', 100000];
    if (consumer) args.push(consumer);
    const rows = (await this.redis.call('XPENDING', ...args)) as [string, string, number, number][];
    return rows.map(([id]) => id);
  }

  async pendingOf(consumer: string): Promise<number> {
    return (await this.pendingByConsumer())[consumer] ?? 0;
  }

  /**
   * The two halves of "drained", apart so a reconciliation can say which one never came: every
   * entry delivered to the group (the backlog), and every delivery acknowledged (the pending list).
   */
  async drainState(): Promise<DrainState> {
    const [stream, group] = await Promise.all([this.info(), this.groupState()]);
    return {
      backlogDrained: group !== null && group.lastDeliveredId === stream.lastGeneratedId,
      pendingEmpty: group !== null && group.pending === 0,
    };
  }

  /** True once every entry was delivered to the group and acknowledged. */
  async drained(): Promise<boolean> {
    const state = await this.drainState();
    return state.backlogDrained && state.pendingEmpty;
  }

  async deadLetters(): Promise<Record<string, string>[]> {
    const entries = await this.redis.xrange(this.deadKey, '-', '+');
    return entries.map(([, fields]) => fieldsOf(fields) as Record<string, string>);
  }

  /** The stream's backlog in log entries (ingest counts a chunk's entries, the worker takes them off); null when unset. */
  async entriesCounter(): Promise<number | null> {
    const value = await this.redis.get(`${this.streamKey}:entries`);
    return value === null ? null : Number(value);
  }

  async delete(): Promise<void> {
    await this.redis.del(this.streamKey, this.deadKey, `${this.streamKey}:entries`);
  }
}
