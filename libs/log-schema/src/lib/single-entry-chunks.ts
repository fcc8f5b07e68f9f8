import type { LogEntry } from './log-entry.types';
import { type ChunkLimits, cutLogChunks } from './stream-chunks';
import { chunkEntryId, encodeLogEntry } from './stream-codec';

/**
 * What SingleEntryChunks writes through: stream-client's StreamProducer (kept structural, so this lib
 * stays free of Redis code).
 */
export interface StreamAppender {
  /** One version 2 value; resolves its stream id. */
  append(value: string): Promise<string>;
  /** Chunks holding `entryCount` entries, in one atomic call; resolves a stream id per chunk. */
  appendChunks(values: readonly string[], entryCount: number): Promise<string[]>;
}

interface WaitingEntry {
  entry: LogEntry;
  resolve: (position: string) => void;
  reject: (error: unknown) => void;
}

/**
 * Sends the single entries (POST /api/log) accepted during one turn of the event loop to Redis together,
 * at the turn's end (setImmediate), as chunks: one stream entry for many requests' entries, the way a
 * batch request's entries travel, so Redis and the worker pay per chunk instead of per entry (under
 * single-entry load those two cost more per entry than ingest itself: BENCHMARKS.md). Ingest and the
 * bench's node:http floor both use it, so the floor writes what ingest writes. A lone entry stays
 * a version 2 value of its own.
 *
 * Each request learns its entry's stored position: the stream id for a lone entry, `<stream id>#<i>`
 * (chunkEntryId) for entry i of a chunk, the same string the worker stores and GET /api/logs shows. The
 * turn's chunks go out in one script call, written whole or not at all, so a refusal (Redis away, out of
 * memory) answers every request of the group and none of them is stored. Entries of different tenants may
 * share a chunk: every entry carries its own tenant.
 */
export class SingleEntryChunks {
  private waiting: WaitingEntry[] = [];

  constructor(
    private readonly producer: StreamAppender,
    private readonly limits: ChunkLimits,
  ) {}

  /** Resolves the entry's stored position once Redis has it; rejects when the group's append failed. */
  append(entry: LogEntry): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ entry, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const group = this.waiting;
    this.waiting = [];
    try {
      this.write(group);
    } catch (error) {
      // Thrown before anything reached Redis (while encoding): every request of the group hears of it,
      // rather than an exception escaping setImmediate and taking the process down.
      group.forEach((waiting) => waiting.reject(error));
    }
  }

  private write(group: readonly WaitingEntry[]): void {
    if (group.length === 1) {
      const [only] = group;
      this.producer.append(encodeLogEntry(only.entry)).then(only.resolve, only.reject);
      return;
    }
    const chunks = cutLogChunks(
      group.map((waiting) => waiting.entry),
      this.limits,
    );
    this.producer
      .appendChunks(
        chunks.map((chunk) => chunk.value),
        group.length,
      )
      .then(
        (ids) => {
          let next = 0;
          chunks.forEach((chunk, c) => {
            for (let i = 0; i < chunk.entries; i += 1) group[next++].resolve(chunkEntryId(ids[c], i));
          });
        },
        (error: unknown) => group.forEach((waiting) => waiting.reject(error)),
      );
  }
}
