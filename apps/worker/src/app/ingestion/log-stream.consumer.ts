import { StreamConsumer, type StreamMessage } from '@logpipe/stream-client';
import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { WorkerConfig } from '../worker.config';
import { backoffDelayMs, sleep } from './backoff';
import { LogBatchProcessor } from './log-batch.processor';
import { ShutdownInterruptedError } from './shutdown-interrupted.error';

type PrefetchResult = { messages: StreamMessage[] } | { error: unknown };

export type ConsumerState = 'starting' | 'running' | 'retrying' | 'stopping' | 'stopped';

/**
 * The worker's main loop: first this consumer's own pending entries (what a previous run under the
 * same name read but never acknowledged), then new entries, taking over entries stranded on dead
 * consumers from time to time and trimming what every group has acknowledged.
 */
@Injectable()
export class LogStreamConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(LogStreamConsumer.name);
  /** Set at SIGTERM: take no new batch. */
  private stopping = false;
  /** Aborted when the shutdown budget is spent: stop retrying, leave the batch pending. */
  private readonly giveUp = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private currentState: ConsumerState = 'starting';

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly processor: LogBatchProcessor,
    private readonly config: ConfigService<WorkerConfig, true>,
  ) {}

  get state(): ConsumerState {
    return this.currentState;
  }

  onApplicationBootstrap(): void {
    this.loop = this.run().finally(() => {
      this.currentState = 'stopped';
    });
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.log({ message: 'stopping: finishing the batch in flight', signal });
    this.stopping = true;
    this.currentState = 'stopping';
    this.consumer.stop();
    const budget = this.config.get('SHUTDOWN_TIMEOUT_MS', { infer: true });
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), budget);
    });
    const result = await Promise.race([this.loop.then(() => 'done' as const), expired]);
    clearTimeout(timer);
    if (result === 'expired') {
      this.logger.warn({
        message: 'shutdown budget spent; leaving the batch in flight pending in Redis',
        budgetMs: budget,
      });
      this.giveUp.abort();
      await Promise.race([this.loop, sleep(1000)]);
    }
    this.logger.log('consumer stopped');
  }

  private async run(): Promise<void> {
    const batchSize = this.config.get('BATCH_SIZE', { infer: true });
    const maxWait = this.config.get('BATCH_MAX_WAIT_MS', { infer: true });
    const claimIdle = this.config.get('CLAIM_IDLE_MS', { infer: true });
    const claimEvery = this.config.get('CLAIM_INTERVAL_MS', { infer: true });
    const trimEvery = this.config.get('TRIM_INTERVAL_MS', { infer: true });
    let nextClaim = Date.now() + claimEvery;
    let nextTrim = Date.now();
    let pendingFirst = true;
    let prefetched: Promise<PrefetchResult> | undefined;

    this.logger.log({
      message: 'consumer starting',
      consumer: this.consumer.consumerName,
      batchSize,
      maxWaitMs: maxWait,
    });
    for (let failures = 0; !this.stopping; ) {
      try {
        if (this.currentState === 'starting') await this.consumer.ensureGroup();
        this.currentState = 'running';
        if (pendingFirst) {
          const pending = await this.consumer.readPending(batchSize);
          if (pending.length === 0) pendingFirst = false;
          else await this.handle(pending, true, 'pending');
          continue;
        }
        if (Date.now() >= nextClaim) {
          nextClaim = Date.now() + claimEvery;
          const claimed = await this.consumer.claimIdle(claimIdle, batchSize);
          if (claimed.length > 0) {
            this.logger.warn({
              message: 'took over entries idle on another consumer',
              count: claimed.length,
              idleMs: claimIdle,
            });
            await this.handle(claimed, true, 'claimed');
          }
        }
        if (Date.now() >= nextTrim) {
          nextTrim = Date.now() + trimEvery;
          await this.consumer.trimAcknowledged();
        }
        // Taken before settling: a read-ahead that failed (Redis went away) must throw once, not
        // on every later turn, or the loop would retry the same stale error forever.
        const ahead = prefetched;
        prefetched = undefined;
        const batch = ahead ? await this.settle(ahead) : await this.consumer.readNew(batchSize, maxWait);
        if (batch.length > 0) {
          // Read the next batch while this one is inserted: Redis and PostgreSQL work in parallel,
          // which keeps the database busy instead of idle between batches.
          if (!this.stopping) prefetched = this.prefetch(batchSize, maxWait);
          await this.handle(batch, false, 'new');
        }
        failures = 0;
      } catch (error) {
        if (error instanceof ShutdownInterruptedError) break;
        this.currentState = 'retrying';
        const delay = backoffDelayMs(
          failures++,
          this.config.get('RETRY_BASE_MS', { infer: true }),
          this.config.get('RETRY_MAX_MS', { infer: true }),
        );
        this.logger.error({
          message: 'consumer loop failed; retrying',
          error: (error as Error)?.message ?? String(error),
          retryInMs: delay,
        });
        // A failed read may have delivered entries we never saw: re-read our own pending list first.
        pendingFirst = true;
        await sleep(delay, this.giveUp.signal);
      }
    }
    // A batch read ahead before SIGTERM is in flight too: store it rather than leave it pending.
    if (prefetched) await this.finishPrefetched(prefetched);
  }

  private prefetch(count: number, blockMs: number): Promise<PrefetchResult> {
    // Settled into a value so a failure is not an unhandled rejection while the insert runs.
    return this.consumer.readNew(count, blockMs).then(
      (messages) => ({ messages }),
      (error: unknown) => ({ error }),
    );
  }

  private async settle(prefetched: Promise<PrefetchResult>): Promise<StreamMessage[]> {
    const result = await prefetched;
    if ('error' in result) throw result.error;
    return result.messages;
  }

  private async finishPrefetched(prefetched: Promise<PrefetchResult>): Promise<void> {
    try {
      const messages = await this.settle(prefetched);
      if (messages.length > 0) await this.handle(messages, false, 'prefetched');
    } catch (error) {
      // Left pending in Redis: redelivered to this name at restart, or claimed by another worker.
      this.logger.warn({
        message: 'could not store the read-ahead batch before stopping',
        error: (error as Error)?.message ?? String(error),
      });
    }
  }

  private async handle(messages: StreamMessage[], redelivered: boolean, source: string): Promise<void> {
    const started = performance.now();
    const outcome = await this.processor.process(messages, this.giveUp.signal, redelivered);
    this.logger.debug({
      message: 'batch stored',
      source,
      size: messages.length,
      ...outcome,
      ms: Math.round(performance.now() - started),
    });
  }
}
