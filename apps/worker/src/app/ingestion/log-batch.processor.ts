import { StreamConsumer, type StreamMessage } from '@logpipe/stream-client';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { WorkerMetrics } from '../metrics/worker.metrics';
import type { WorkerConfig } from '../worker.config';
import { retryDelayMs, sleep } from './backoff';
import { deadLetterRefused, describeError, type MessagePlan, planMessage } from './message-plan';
import { RowInserter } from './row-inserter.service';
import { ShutdownInterruptedError } from './shutdown-interrupted.error';

export interface BatchOutcome {
  inserted: number;
  duplicates: number;
  deadLettered: number;
}

/** A read, expanded into its messages' rows and dead letters (prepare), ready to be stored (store). */
export interface PreparedBatch {
  plans: MessagePlan[];
  /** log entries in the read (a chunk counts its entries) */
  entries: number;
  /** entries of the largest message */
  largestMessage: number;
}

/**
 * Turns one read of stream messages into rows: expand each message into its entries (a chunk into
 * many, each with its own position `<id>#<i>`), insert them, dead-letter what can never be stored, then
 * settle each message (acknowledge it, write its dead letters, take its entries off the entry counter)
 * once all its entries are stored or dead-lettered. Nothing is acknowledged before PostgreSQL has
 * committed it, so a crash anywhere here leaves the read pending for redelivery, and the unique position
 * of each row makes that redelivery harmless.
 */
@Injectable()
export class LogBatchProcessor {
  private readonly logger = new Logger(LogBatchProcessor.name);

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly inserter: RowInserter,
    private readonly config: ConfigService<WorkerConfig, true>,
    @Optional() private readonly metrics?: WorkerMetrics,
  ) {}

  /** False while inserts fail for lack of a database; readiness reports it. */
  get isDatabaseAvailable(): boolean {
    return this.inserter.isDatabaseAvailable;
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
    return this.store(await this.prepare(messages, giveUp, checkDeliveries), giveUp);
  }

  /** Decodes the read (after reading delivery counts when asked): what to store and what to dead-letter. */
  async prepare(
    messages: readonly StreamMessage[],
    giveUp: AbortSignal,
    checkDeliveries: boolean,
  ): Promise<PreparedBatch> {
    const maxDeliveries = this.config.get('MAX_DELIVERIES', { infer: true });
    const deliveries = checkDeliveries
      ? await this.retryRedis('read delivery counts', giveUp, () =>
          this.consumer.deliveryCounts(messages.map((m) => m.id)),
        )
      : undefined;
    const plans = messages.map((message) =>
      planMessage(message, deliveries?.get(message.id) ?? 0, maxDeliveries),
    );
    let entries = 0;
    let largestMessage = 0;
    for (const plan of plans) {
      entries += plan.entries;
      largestMessage = Math.max(largestMessage, plan.entries);
    }
    return { plans, entries, largestMessage };
  }

  /**
   * Inserts the rows, dead-letters what PostgreSQL refuses, and settles every message of the read.
   * `lane`: the write lane of this batch (WriteLanePool).
   */
  async store({ plans, entries }: PreparedBatch, giveUp: AbortSignal, lane = 0): Promise<BatchOutcome> {
    const written = await this.inserter.insert(
      plans.flatMap((plan) => plan.rows),
      giveUp,
      lane,
    );
    deadLetterRefused(plans, written.refused);
    this.failpoint('crash-after-commit');

    const deadLetters = plans.flatMap((plan) => plan.deadLetters);
    if (deadLetters.length > 0) {
      this.logger.warn({
        message: 'moving entries to the dead-letter stream',
        count: deadLetters.length,
        reasons: [...new Set(deadLetters.map((d) => d.reason))].slice(0, 5),
      });
    }
    if (plans.length > 0) {
      const outcome = await this.retryRedis('settle', giveUp, () => this.consumer.settle(plans));
      if (deadLetters.length > 0) this.metrics?.deadLettersDroppedBy(outcome);
    }
    this.metrics?.batchDone(entries, written.inserted, written.duplicates, deadLetters.length);
    return { inserted: written.inserted, duplicates: written.duplicates, deadLettered: deadLetters.length };
  }

  private async retryRedis<T>(what: string, giveUp: AbortSignal, operation: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (giveUp.aborted) throw new ShutdownInterruptedError(`Redis unavailable during ${what}`);
        this.metrics?.retried('redis');
        const delay = retryDelayMs(this.config, attempt);
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
