import {
  encodedRowStreamId,
  type EncodedLogRow,
  isTransientDatabaseError,
  LogBatchWriter,
} from '@logpipe/log-store';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { WorkerMetrics } from '../metrics/worker.metrics';
import type { WorkerConfig } from '../worker.config';
import { retryDelayMs, sleep } from './backoff';
import { describeError } from './message-plan';
import { ShutdownInterruptedError } from './shutdown-interrupted.error';

export interface InsertResult {
  inserted: number;
  duplicates: number;
  /** rows PostgreSQL kept refusing, by stream position, with its reason */
  refused: Map<string, string>;
}

/** What every insert of one call shares: when to give up, and the write lane. */
interface InsertCall {
  giveUp: AbortSignal;
  lane: number;
}

/**
 * Stores rows, BATCH_SIZE at a time (one COPY each, so a read of many chunks never becomes one huge
 * statement): waits out an unreachable database (never giving up unless shutting down), and when
 * PostgreSQL refuses a slice, bisects it to find the rows it refuses, each retried a few times before it
 * counts as refused. The caller dead-letters refused rows; the rest are committed when this resolves.
 */
@Injectable()
export class RowInserter {
  private readonly logger = new Logger(RowInserter.name);
  private databaseAvailable = true;

  constructor(
    private readonly writer: LogBatchWriter,
    private readonly config: ConfigService<WorkerConfig, true>,
    @Optional() private readonly metrics?: WorkerMetrics,
  ) {}

  /** False while inserts fail for lack of a database; readiness reports it. */
  get isDatabaseAvailable(): boolean {
    return this.databaseAvailable;
  }

  /** `lane`: the write lane of the caller (LogBatchWriter#insertEncoded). */
  async insert(rows: readonly EncodedLogRow[], giveUp: AbortSignal, lane = 0): Promise<InsertResult> {
    const result: InsertResult = { inserted: 0, duplicates: 0, refused: new Map() };
    const slice = this.config.get('BATCH_SIZE', { infer: true });
    for (let start = 0; start < rows.length; start += slice) {
      await this.bisecting(rows.slice(start, start + slice), { giveUp, lane }, result);
    }
    return result;
  }

  private async bisecting(rows: EncodedLogRow[], how: InsertCall, result: InsertResult): Promise<void> {
    try {
      const outcome = await this.insertUntilReachable(rows, how);
      result.inserted += outcome.inserted;
      result.duplicates += outcome.duplicates;
    } catch (error) {
      if (error instanceof ShutdownInterruptedError) throw error;
      if (rows.length === 1) return this.retryRefusedRow(rows[0], error, how, result);
      const middle = Math.ceil(rows.length / 2);
      await this.bisecting(rows.slice(0, middle), how, result);
      await this.bisecting(rows.slice(middle), how, result);
    }
  }

  /** A single row refused by PostgreSQL gets a few more tries before it counts as refused. */
  private async retryRefusedRow(
    row: EncodedLogRow,
    firstError: unknown,
    how: InsertCall,
    result: InsertResult,
  ): Promise<void> {
    const attempts = this.config.get('POISON_MAX_ATTEMPTS', { infer: true });
    let lastError = firstError;
    for (let attempt = 1; attempt < attempts; attempt++) {
      await sleep(retryDelayMs(this.config, attempt), how.giveUp);
      try {
        const outcome = await this.insertUntilReachable([row], how);
        result.inserted += outcome.inserted;
        result.duplicates += outcome.duplicates;
        return;
      } catch (error) {
        if (error instanceof ShutdownInterruptedError) throw error;
        lastError = error;
      }
    }
    result.refused.set(encodedRowStreamId(row), describeError(lastError));
  }

  /** Retries while the database is unreachable (never acknowledging); rethrows data errors at once. */
  private async insertUntilReachable(rows: EncodedLogRow[], { giveUp, lane }: InsertCall) {
    for (let attempt = 0; ; attempt++) {
      try {
        const insertDone = this.metrics?.insertTimer();
        const outcome = await this.writer.insertEncoded(rows, lane);
        insertDone?.();
        if (!this.databaseAvailable) this.logger.log('PostgreSQL is reachable again; resuming');
        this.databaseAvailable = true;
        return outcome;
      } catch (error) {
        if (!isTransientDatabaseError(error)) throw error;
        if (giveUp.aborted) throw new ShutdownInterruptedError('PostgreSQL unavailable');
        this.metrics?.retried('postgres');
        const delay = retryDelayMs(this.config, attempt);
        if (this.databaseAvailable || attempt % 10 === 0) {
          this.logger.warn({
            message: 'PostgreSQL unavailable; keeping the batch and retrying',
            error: describeError(error),
            attempt,
            retryInMs: delay,
            batch: rows.length,
          });
        }
        this.databaseAvailable = false;
        await sleep(delay, giveUp);
      }
    }
  }
}
