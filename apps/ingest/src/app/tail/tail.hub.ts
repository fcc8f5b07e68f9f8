import { decodeLogEntry, type LogEntry } from '@logpipe/log-schema';
import { STREAM_PAYLOAD_FIELD, StreamUnavailableError } from '@logpipe/stream-client';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IngestConfig } from '../ingest.config';
import { IngestMetrics } from '../metrics/ingest.metrics';
import { TailReader } from './tail-reader';

const READ_COUNT = 500;
const BLOCK_MS = 2000;
const RETRY_PAUSE_MS = 500;

/** XREAD's reply: [[key, [[id, [field, value, ...]], ...]]], or null when BLOCK timed out. */
export function entriesOfReadReply(reply: unknown): { id: string; payload: string | null }[] {
  if (!Array.isArray(reply)) return [];
  return reply.flatMap((stream) =>
    (stream as [string, [string, string[]][]])[1].map(([id, fields]) => {
      const at = fields.indexOf(STREAM_PAYLOAD_FIELD);
      return { id, payload: at >= 0 && at % 2 === 0 ? fields[at + 1] : null };
    }),
  );
}

/**
 * Fans the Redis stream out to the live tail readers of this instance. One reader loop per instance,
 * on a connection of its own (a BLOCKing XREAD would hold up anything else on it), runs only while
 * someone is listening: XREAD without a group, from the stream's last id at start, then from the last
 * id seen. A plain XREAD is invisible to the consumer group, so the tail never takes, acknowledges or
 * delays an entry the worker needs, and never keeps the worker from trimming. The flip side: an entry
 * the worker trimmed before this loop read it (the loop was behind by a whole trim interval) is not
 * shown; the query API has every stored entry.
 */
@Injectable()
export class TailHub implements OnModuleDestroy {
  private readonly logger = new Logger(TailHub.name);
  private readonly readers = new Set<TailReader>();
  private readonly redis: Redis;
  private readonly streamKey: string;
  private readonly heartbeat: NodeJS.Timeout;
  private loop: Promise<void> | undefined;
  private lastId = '$';
  private closing = false;

  constructor(
    private readonly config: ConfigService<IngestConfig, true>,
    private readonly metrics: IngestMetrics,
  ) {
    this.streamKey = config.get('STREAM_KEY', { infer: true });
    this.redis = new Redis(config.get('REDIS_URL', { infer: true }), {
      lazyConnect: true,
      connectionName: 'logpipe-ingest-tail',
      // XREAD BLOCK must not be cut short by a command timeout; a failed read is simply retried.
      maxRetriesPerRequest: 1,
    });
    this.redis.on('error', () => undefined);
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
    if (this.loop !== undefined) return;
    const commandTimeout = this.config.get('REDIS_COMMAND_TIMEOUT_MS', { infer: true });
    let timer: NodeJS.Timeout | undefined;
    const newest = await Promise.race([
      this.redis.xrevrange(this.streamKey, '+', '-', 'COUNT', 1),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new StreamUnavailableError('Redis gave no answer to the tail start')),
          commandTimeout,
        );
      }),
    ])
      .catch((error: unknown) => {
        throw error instanceof StreamUnavailableError
          ? error
          : new StreamUnavailableError(`tail cannot start: ${(error as Error).message}`);
      })
      .finally(() => clearTimeout(timer));
    if (this.loop !== undefined) return;
    // An empty stream: every entry from now on has a larger id than 0-0.
    this.lastId = newest[0]?.[0] ?? '0-0';
    this.loop = this.run();
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
    this.redis.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failing = false;
    // do-while: the reader that asked for the loop is added right after ready() resolves, so the first
    // read happens whether or not it is there yet.
    do {
      try {
        const reply = await this.redis.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          this.streamKey,
          this.lastId,
        );
        if (failing) this.logger.log('tail reads from Redis again');
        failing = false;
        for (const { id, payload } of entriesOfReadReply(reply)) {
          this.lastId = id;
          const entry = this.decode(payload);
          if (entry === null) continue;
          for (const reader of this.readers) if (reader.offer(entry, id)) this.metrics.tailEntries.inc();
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
    // Nobody listens any more: the next reader starts a new loop from the stream's end of that time.
    this.loop = undefined;
  }

  /** Undecodable entries are the worker's to dead-letter; the tail just skips them. */
  private decode(payload: string | null): LogEntry | null {
    try {
      return decodeLogEntry(payload);
    } catch {
      return null;
    }
  }
}
