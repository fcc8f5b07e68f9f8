import { chunkEntryId, decodeStreamValue, type LogEntry } from '@logpipe/log-schema';
import { StreamTail, StreamUnavailableError, type StreamShard } from '@logpipe/stream-client';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IngestConfig } from '../ingest.config';
import { IngestMetrics } from '../metrics/ingest.metrics';
import { TailReader } from './tail-reader';

const READ_COUNT = 500;
const BLOCK_MS = 2000;
const RETRY_PAUSE_MS = 500;

/**
 * Fans the Redis stream out to the live tail readers of this instance. One reader loop per shard and
 * instance (StreamTail: its own blocking connection per shard), runs only while someone is listening:
 * XREAD without a group, from the shard's last id at start, then from the last id seen. A plain XREAD
 * is invisible to the consumer group, so the tail never takes, acknowledges or delays an entry the
 * worker needs, and never keeps the worker from trimming. The flip side: an entry
 * the worker trimmed before this loop read it (the loop was behind by a whole trim interval) is not
 * shown; the query API has every stored entry.
 */
@Injectable()
export class TailHub implements OnModuleDestroy {
  private readonly logger = new Logger(TailHub.name);
  private readonly readers = new Set<TailReader>();
  private readonly heartbeat: NodeJS.Timeout;
  /** The reader loop of each shard (by index) that is running. */
  private readonly running = new Map<number, Promise<void>>();
  /** Per shard (by index), the raw id the next read continues after. */
  private lastIds: string[] = [];
  private closing = false;

  constructor(
    private readonly config: ConfigService<IngestConfig, true>,
    private readonly metrics: IngestMetrics,
    private readonly stream: StreamTail,
  ) {
    this.heartbeat = setInterval(
      () => this.readers.forEach((reader) => reader.heartbeat()),
      config.get('TAIL_HEARTBEAT_MS', { infer: true }),
    );
    this.heartbeat.unref();
  }

  get readerCount(): number {
    return this.readers.size;
  }

  /**
   * Makes sure the stream is being read from a position no later than now. Resolves once it is, so an
   * entry written after this resolves reaches every reader added right after.
   */
  async ready(): Promise<void> {
    // Each shard's loop stops by itself once nobody listens, after its current read (up to BLOCK_MS):
    // a reader arriving meanwhile may find some loops still running and others stopped, so every
    // stopped one is started again here, not only when all of them have stopped.
    const stopped = this.stream.shards.filter((shard) => !this.running.has(shard.index));
    if (stopped.length === 0) return;
    // An empty shard starts at 0-0: every entry from now on has a larger id.
    const newest = await Promise.all(stopped.map((shard) => this.stream.newestId(shard))).catch(
      (error: unknown) => {
        throw error instanceof StreamUnavailableError
          ? error
          : new StreamUnavailableError(`tail cannot start: ${(error as Error).message}`);
      },
    );
    stopped.forEach((shard, i) => {
      // Started meanwhile by another reader's ready(): that loop already reads from no later than now.
      if (this.running.has(shard.index)) return;
      this.lastIds[shard.index] = newest[i];
      this.running.set(
        shard.index,
        this.run(shard).finally(() => this.running.delete(shard.index)),
      );
    });
  }

  add(reader: TailReader): void {
    this.readers.add(reader);
    this.metrics.tailReaders.set(this.readers.size);
  }

  remove(reader: TailReader, dropped: boolean): void {
    this.readers.delete(reader);
    this.metrics.tailReaders.set(this.readers.size);
    if (dropped) this.metrics.tailDropped.inc();
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    for (const reader of [...this.readers])
      reader.end('shutdown', { reason: 'this ingest instance is shutting down; reconnect' });
    this.stream.stopReads();
    await Promise.all(this.running.values());
  }

  private async run(shard: StreamShard): Promise<void> {
    let failing = false;
    // do-while: the reader that asked for the loop is added right after ready() resolves, so the first
    // read happens whether or not it is there yet.
    do {
      try {
        const messages = await this.stream.readAfter(shard, this.lastIds[shard.index], READ_COUNT, BLOCK_MS);
        if (failing) this.logger.log('tail reads from Redis again');
        failing = false;
        for (const { id, rawId, payload } of messages) {
          this.lastIds[shard.index] = rawId;
          // A chunk fans out per entry, each under its stored position (chunkEntryId): what GET /api/logs shows.
          for (const { entry, position } of this.decode(id, payload)) {
            for (const reader of this.readers)
              if (reader.offer(entry, position)) this.metrics.tailEntries.inc();
          }
        }
      } catch (error) {
        if (this.closing) break;
        if (!failing)
          this.logger.warn({
            message: 'tail cannot read the stream; retrying',
            error: (error as Error).message,
          });
        failing = true;
        await sleep(RETRY_PAUSE_MS);
      }
    } while (!this.closing && this.readers.size > 0);
  }

  /** The entries of a stream value; undecodable ones are the worker's to dead-letter, the tail just skips them. */
  private decode(id: string, payload: string | null): { entry: LogEntry; position: string }[] {
    try {
      const { chunk, slots } = decodeStreamValue(payload);
      const entries: { entry: LogEntry; position: string }[] = [];
      slots.forEach((slot, index) => {
        if (slot.ok) entries.push({ entry: slot.entry, position: chunk ? chunkEntryId(id, index) : id });
      });
      return entries;
    } catch {
      return [];
    }
  }
}
