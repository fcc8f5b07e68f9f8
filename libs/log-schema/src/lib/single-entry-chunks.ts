import type { LogEntry } from './log-entry.types';
import { type ChunkLimits, CHUNK_OPENING_BYTES, chunkBytesOf } from './stream-chunks';
import { chunkEntryId, encodeChunkEntry, encodeLogChunkOfEncoded, singleEntryValue } from './stream-codec';

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
  /** The entry as one element of a chunk (encodeChunkEntry), encoded when it was appended. */
  encoded: string;
  resolve: (position: string) => void;
  reject: (error: unknown) => void;
}

/**
 * Sends the single entries (POST /api/log) accepted during one turn of the event loop to Redis together,
 * at the turn's end (setImmediate), as chunks: one stream entry for many requests' entries, the way a
 * batch request's entries travel, so Redis and the worker pay per chunk instead of per entry (under
 * single-entry load those two cost more per entry than ingest itself: BENCHMARKS.md). Ingest and the
 * bench's node:http floor both use it, so the floor writes what ingest writes. A lone entry stays a
 * version 2 value of its own. A group is sent as soon as it fills one chunk (CHUNK_MAX_ENTRIES or
 * CHUNK_MAX_BYTES), so one append call carries one chunk at most, however many requests a turn brings.
 *
 * Each request learns its entry's stored position: the stream id for a lone entry, `<stream id>#<i>`
 * (chunkEntryId) for entry i of a chunk, the same string the worker stores and GET /api/logs shows. The
 * group goes out in one append call (a script, or a MULTI/EXEC when large), written whole or not at
 * all, so a refusal (Redis away, out of memory) answers every request of the group and none of them
 * is stored; a timeout may have written all of them, as for any append. Each entry is encoded when
 * it is appended, so one that cannot be encoded fails its own request only. Entries of different
 * tenants may share a chunk: every entry carries its own tenant.
 *
 * This does no I/O of its own: it schedules writes through the StreamAppender it is given.
 */
export class SingleEntryChunks {
  private waiting: WaitingEntry[] = [];
  /** The chunk the waiting entries make, in UTF-8 bytes, counted as encodeLogChunks counts it. */
  private waitingBytes = CHUNK_OPENING_BYTES;

  constructor(
    private readonly producer: StreamAppender,
    private readonly limits: ChunkLimits,
  ) {}

  /** Resolves the entry's stored position once Redis has it; rejects when the group's append failed. */
  append(entry: LogEntry): Promise<string> {
    return new Promise((resolve, reject) => {
      const encoded = encodeChunkEntry(entry);
      const bytes = chunkBytesOf(encoded);
      // A group is one chunk at most: a group this entry would take past CHUNK_MAX_BYTES goes first.
      if (this.waiting.length > 0 && this.waitingBytes + bytes > this.limits.maxBytes) this.flush();
      if (this.waiting.push({ encoded, resolve, reject }) === 1) setImmediate(() => this.flush());
      this.waitingBytes += bytes;
      if (this.waiting.length >= this.limits.maxEntries) this.flush();
    });
  }

  private flush(): void {
    const group = this.waiting;
    // A group sent early (full) leaves the turn's setImmediate with nothing, or with a newer group.
    if (group.length === 0) return;
    this.waiting = [];
    this.waitingBytes = CHUNK_OPENING_BYTES;
    if (group.length === 1) {
      const [only] = group;
      this.producer.append(singleEntryValue(only.encoded)).then(only.resolve, only.reject);
      return;
    }
    // append() keeps a group within CHUNK_MAX_ENTRIES and CHUNK_MAX_BYTES, so it is exactly one chunk.
    this.producer
      .appendChunks([encodeLogChunkOfEncoded(group.map((waiting) => waiting.encoded))], group.length)
      .then(
        ([id]) => group.forEach((waiting, i) => waiting.resolve(chunkEntryId(id, i))),
        (error: unknown) => group.forEach((waiting) => waiting.reject(error)),
      );
  }
}
