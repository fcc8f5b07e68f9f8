import { StreamConsumer, type StreamMessage } from '@logpipe/stream-client';
import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { WorkerConfig } from '../worker.config';
import { retryDelayMs, sleep } from './backoff';
import { LogBatchProcessor, type PreparedBatch } from './log-batch.processor';
import { largestValueBytes, ReadCount } from './read-count';
import { ShutdownInterruptedError } from './shutdown-interrupted.error';
import { WriteLanePool } from './write-lane-pool';

export type ConsumerState = 'starting' | 'running' | 'retrying' | 'stopping' | 'stopped';

/**
 * The worker's main loop: first this consumer's own pending entries (what a previous run under the
 * same name read but never acknowledged), then new entries, taking over entries stranded on dead
 * consumers from time to time and trimming what every group has acknowledged.
 */
@Injectable()
export class LogStreamConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(LogStreamConsumer.name);
  /** Aborted at SIGTERM: take no new batch, and cut a linger short. */
  private readonly stopRequested = new AbortController();
  /** Aborted when the shutdown budget is spent: stop retrying, leave the batch pending. */
  private readonly giveUp = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private currentState: ConsumerState = 'starting';

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly processor: LogBatchProcessor,
    private readonly config: ConfigService<WorkerConfig, true>,
  ) {}

  private stopping(): boolean {
    return this.stopRequested.signal.aborted;
  }

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
    this.stopRequested.abort();
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
    const maxInFlight = this.config.get('MAX_BATCHES_IN_FLIGHT', { infer: true });
    const linger = this.config.get('BATCH_LINGER_MS', { infer: true });
    const readMaxBytes = this.config.get('READ_MAX_BYTES', { infer: true });
    let nextClaim = Date.now() + claimEvery;
    let nextTrim = Date.now();
    let pendingFirst = true;
    // BATCH_SIZE counts log entries; a read's COUNT counts stream messages, each up to a chunk of entries.
    const readCount = new ReadCount(batchSize, readMaxBytes);
    // Batches being stored while the loop reads the next one. Each task settles into `failure`
    // rather than rejecting, so an error surfaces once, in the loop, and never as an unhandled rejection.
    const inFlight = new Set<Promise<void>>();
    // Batches stored at once write in different lanes of the table (@logpipe/log-store's write-lanes.ts).
    const lanes = new WriteLanePool();
    let failure: { error: unknown } | undefined;
    const settleInFlight = () => Promise.all(inFlight);

    this.logger.log({
      message: 'consumer starting',
      consumer: this.consumer.consumerName,
      batchSize,
      maxWaitMs: maxWait,
      maxBatchesInFlight: maxInFlight,
      lingerMs: linger,
      readMaxBytes,
    });
    for (let failures = 0; !this.stopping(); ) {
      try {
        if (failure) {
          const { error } = failure;
          failure = undefined;
          throw error;
        }
        if (this.currentState === 'starting') await this.consumer.ensureGroup();
        this.currentState = 'running';
        if (pendingFirst) {
          // Batches still being stored are in the pending list too: let them finish first.
          await settleInFlight();
          const pending = await this.consumer.readPending(readCount.value);
          if (pending.length === 0) pendingFirst = false;
          else {
            const prepared = await this.prepare(pending, true, readCount);
            await lanes.with((lane) => this.handle(prepared, 'pending', lane));
          }
          continue;
        }
        if (Date.now() >= nextClaim) {
          nextClaim = Date.now() + claimEvery;
          const claimed = await this.consumer.claimIdle(claimIdle, readCount.value);
          if (claimed.length > 0) {
            this.logger.warn({
              message: 'took over entries idle on another consumer',
              count: claimed.length,
              idleMs: claimIdle,
            });
            const prepared = await this.prepare(claimed, true, readCount);
            await lanes.with((lane) => this.handle(prepared, 'claimed', lane));
          }
        }
        if (Date.now() >= nextTrim) {
          nextTrim = Date.now() + trimEvery;
          await this.consumer.trimAcknowledged();
        }
        const count = readCount.value;
        const batch = await this.consumer.readNew(count, maxWait);
        if (batch.length > 0) {
          // Decoded here (so the next read's COUNT knows how many entries this one held), then stored
          // on its own database connection while the loop reads the next batch: Redis, this process
          // and PostgreSQL work in parallel instead of taking turns. Order between batches does not
          // matter (each row carries its own time and position).
          const prepared = await this.prepare(batch, false, readCount);
          const task: Promise<void> = lanes
            .with((lane) => this.handle(prepared, 'new', lane))
            .catch((error: unknown) => {
              failure ??= { error };
            })
            .finally(() => inFlight.delete(task));
          inFlight.add(task);
          if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
        }
        // Caught up: let the next batch gather instead of chasing the stream a few entries at a time.
        if (batch.length < count && linger > 0 && !this.stopping()) {
          await sleep(linger, this.stopRequested.signal);
        }
        failures = 0;
      } catch (error) {
        if (error instanceof ShutdownInterruptedError) break;
        this.currentState = 'retrying';
        const delay = retryDelayMs(this.config, failures++);
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
    // Batches read before SIGTERM are in flight too: they are stored and acknowledged before exit
    // (or, past the shutdown budget, left pending in Redis for a restart or another worker).
    await settleInFlight();
  }

  private async prepare(
    messages: StreamMessage[],
    redelivered: boolean,
    readCount: ReadCount,
  ): Promise<PreparedBatch> {
    const prepared = await this.processor.prepare(messages, this.giveUp.signal, redelivered);
    readCount.observe({
      messages: messages.length,
      entries: prepared.entries,
      largestEntries: prepared.largestMessage,
      largestBytes: largestValueBytes(messages),
    });
    return prepared;
  }

  private async handle(prepared: PreparedBatch, source: string, lane: number): Promise<void> {
    const started = performance.now();
    const outcome = await this.processor.store(prepared, this.giveUp.signal, lane);
    this.logger.debug({
      message: 'batch stored',
      source,
      messages: prepared.plans.length,
      entries: prepared.entries,
      ...outcome,
      ms: Math.round(performance.now() - started),
    });
  }
}
