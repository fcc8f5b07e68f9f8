import { decodeLogEntry, LogEntryDecodeError } from '@logpipe/log-schema';
import { isTransientDatabaseError, LogBatchWriter, type StoredLogEntry } from '@logpipe/log-store';
import { StreamConsumer, type StreamMessage } from '@logpipe/stream-client';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { WorkerMetrics } from '../metrics/worker.metrics';
import type { WorkerConfig } from '../worker.config';
import { backoffDelayMs, sleep } from './backoff';
import { ShutdownInterruptedError } from './shutdown-interrupted.error';

export interface BatchOutcome {
  inserted: number;
  duplicates: number;
  deadLettered: number;
}

interface DeadLetterItem {
  id: string;
  payload: string | null;
  reason: string;
}

interface WriteResult {
  inserted: number;
  duplicates: number;
  poisoned: { entry: StoredLogEntry; reason: string }[];
}

function describeError(error: unknown): string {
  const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return typeof code === 'string' ? `${text} (SQLSTATE ${code})` : text;
}

/**
 * Turns one batch of stream messages into rows: decode, insert, dead-letter what can never be
 * stored, then acknowledge exactly what was written or moved aside. Nothing is acknowledged before
 * PostgreSQL has committed it, so a crash anywhere here leaves the batch pending for redelivery,
 * and the unique stream id makes that redelivery harmless.
 */
@Injectable()
export class LogBatchProcessor {
  private readonly logger = new Logger(LogBatchProcessor.name);
  private databaseAvailable = true;

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly writer: LogBatchWriter,
    private readonly config: ConfigService<WorkerConfig, true>,
    @Optional() private readonly metrics?: WorkerMetrics,
  ) {}

  /** False while inserts fail for lack of a database; readiness reports it. */
  get isDatabaseAvailable(): boolean {
    return this.databaseAvailable;
  }

  /**
   * @param giveUp aborts retry loops when the shutdown budget is spent.
   * @param checkDeliveries look at delivery counts first (redelivered or claimed entries), so an
   *   entry that keeps crashing workers is dead-lettered instead of looping forever.
   */
  async process(
    messages: readonly StreamMessage[],
    giveUp: AbortSignal,
    checkDeliveries: boolean,
  ): Promise<BatchOutcome> {
    const dead: DeadLetterItem[] = [];
    const entries: StoredLogEntry[] = [];
    const payloads = new Map<string, string | null>();
    const maxDeliveries = this.config.get('MAX_DELIVERIES', { infer: true });
    const deliveries = checkDeliveries
      ? await this.retryRedis('read delivery counts', giveUp, () =>
          this.consumer.deliveryCounts(messages.map((m) => m.id)),
        )
      : undefined;

    for (const message of messages) {
      payloads.set(message.id, message.payload);
      const delivered = deliveries?.get(message.id) ?? 0;
      if (delivered > maxDeliveries) {
        dead.push({
          ...message,
          reason: `delivered ${delivered} times, over MAX_DELIVERIES=${maxDeliveries}`,
        });
        continue;
      }
      try {
        entries.push({ ...decodeLogEntry(message.payload), streamId: message.id });
      } catch (error) {
        const reason = error instanceof LogEntryDecodeError ? error.reason : describeError(error);
        dead.push({ id: message.id, payload: message.payload, reason: `undecodable: ${reason}` });
      }
    }

    const written = await this.write(entries, giveUp);
    for (const { entry, reason } of written.poisoned) {
      dead.push({
        id: entry.streamId,
        payload: payloads.get(entry.streamId) ?? null,
        reason: `rejected by PostgreSQL: ${reason}`,
      });
    }
    this.failpoint('crash-after-commit');

    if (dead.length > 0) {
      this.logger.warn({
        message: 'moving entries to the dead-letter stream',
        count: dead.length,
        reasons: [...new Set(dead.map((d) => d.reason))].slice(0, 5),
      });
      const outcome = await this.retryRedis('dead-letter', giveUp, () => this.consumer.deadLetter(dead));
      this.metrics?.deadLettersDroppedBy(outcome);
    }
    const poisonedIds = new Set(written.poisoned.map((p) => p.entry.streamId));
    const writtenIds = entries.map((e) => e.streamId).filter((id) => !poisonedIds.has(id));
    if (writtenIds.length > 0) {
      await this.retryRedis('acknowledge', giveUp, () => this.consumer.ack(writtenIds));
    }
    this.metrics?.batchDone(messages.length, written.inserted, written.duplicates, dead.length);
    return { inserted: written.inserted, duplicates: written.duplicates, deadLettered: dead.length };
  }

  /** Inserts the batch; when PostgreSQL refuses it, bisects to find the entries it refuses. */
  private async write(entries: StoredLogEntry[], giveUp: AbortSignal): Promise<WriteResult> {
    if (entries.length === 0) return { inserted: 0, duplicates: 0, poisoned: [] };
    try {
      return { ...(await this.insertUntilReachable(entries, giveUp)), poisoned: [] };
    } catch (error) {
      if (error instanceof ShutdownInterruptedError) throw error;
      if (entries.length === 1) return this.retryRefusedEntry(entries[0], error, giveUp);
      const middle = Math.ceil(entries.length / 2);
      const left = await this.write(entries.slice(0, middle), giveUp);
      const right = await this.write(entries.slice(middle), giveUp);
      return {
        inserted: left.inserted + right.inserted,
        duplicates: left.duplicates + right.duplicates,
        poisoned: [...left.poisoned, ...right.poisoned],
      };
    }
  }

  /** A single entry refused by PostgreSQL gets a few more tries before it counts as poison. */
  private async retryRefusedEntry(
    entry: StoredLogEntry,
    firstError: unknown,
    giveUp: AbortSignal,
  ): Promise<WriteResult> {
    const attempts = this.config.get('POISON_MAX_ATTEMPTS', { infer: true });
    let lastError = firstError;
    for (let attempt = 1; attempt < attempts; attempt++) {
      await sleep(backoffDelayMs(attempt, this.config.get('RETRY_BASE_MS', { infer: true }), 2000), giveUp);
      try {
        return { ...(await this.insertUntilReachable([entry], giveUp)), poisoned: [] };
      } catch (error) {
        if (error instanceof ShutdownInterruptedError) throw error;
        lastError = error;
      }
    }
    return { inserted: 0, duplicates: 0, poisoned: [{ entry, reason: describeError(lastError) }] };
  }

  /** Retries while the database is unreachable (never acknowledging); rethrows data errors at once. */
  private async insertUntilReachable(entries: StoredLogEntry[], giveUp: AbortSignal) {
    for (let attempt = 0; ; attempt++) {
      try {
        const insertDone = this.metrics?.insertTimer();
        const outcome = await this.writer.insert(entries);
        insertDone?.();
        if (!this.databaseAvailable) this.logger.log('PostgreSQL is reachable again; resuming');
        this.databaseAvailable = true;
        return outcome;
      } catch (error) {
        if (!isTransientDatabaseError(error)) throw error;
        if (giveUp.aborted) throw new ShutdownInterruptedError('PostgreSQL unavailable');
        this.metrics?.retried('postgres');
        const delay = backoffDelayMs(
          attempt,
          this.config.get('RETRY_BASE_MS', { infer: true }),
          this.config.get('RETRY_MAX_MS', { infer: true }),
        );
        if (this.databaseAvailable || attempt % 10 === 0) {
          this.logger.warn({
            message: 'PostgreSQL unavailable; keeping the batch and retrying',
            error: describeError(error),
            attempt,
            retryInMs: delay,
            batch: entries.length,
          });
        }
        this.databaseAvailable = false;
        await sleep(delay, giveUp);
      }
    }
  }

  private async retryRedis<T>(what: string, giveUp: AbortSignal, operation: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (giveUp.aborted) throw new ShutdownInterruptedError(`Redis unavailable during ${what}`);
        this.metrics?.retried('redis');
        const delay = backoffDelayMs(
          attempt,
          this.config.get('RETRY_BASE_MS', { infer: true }),
          this.config.get('RETRY_MAX_MS', { infer: true }),
        );
        this.logger.warn({
          message: `Redis ${what} failed; retrying`,
          error: describeError(error),
          attempt,
          retryInMs: delay,
        });
        await sleep(delay, giveUp);
      }
    }
  }

  /** Test-only fault injection (README, "Failpoints"): dies the hard way at a chosen point. */
  private failpoint(name: WorkerConfig['LOGPIPE_FAILPOINT']): void {
    if (this.config.get('LOGPIPE_FAILPOINT', { infer: true }) === name) {
      this.logger.warn({ message: `failpoint ${name}: killing the process`, pid: process.pid });
      process.kill(process.pid, 'SIGKILL');
    }
  }
}
