import {
  createLogPartitions,
  deleteLogRows,
  dropLogPartitionsBefore,
  expireEventIds,
  listLogPartitionFill,
  listLogPartitions,
  partitionIntervalMs,
  releaseMaintenanceLock,
  resumeInsertVacuum,
  setInsertVacuumHold,
  type SqlQueryable,
  summarizeOpenLogPartitions,
  tryMaintenanceLock,
} from '@logpipe/log-store';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { WorkerConfig } from '../worker.config';
import { type FillReading, planInsertVacuumHolds } from './insert-vacuum-hold';
import { parseTenantRetention, planRetention, type RetentionPolicy } from './retention-policy';
import { StoreMetrics } from './store.metrics';

/** The first run waits this long after start-up (or the interval, if shorter): the pool is busy then. */
const FIRST_RUN_DELAY_MS = 5000;
/** DDL waits at most this long for a lock on `logs`; a run that cannot get it fails and the next one retries. */
const LOCK_TIMEOUT_MS = 5000;

export interface MaintenanceReport {
  created: string[];
  /** Partitions held from insert-driven autovacuum again: they took rows fast after their range ended. */
  insertVacuumHeld: string[];
  /** Partitions whose range ended and that have been quiet for PARTITION_QUIET_PERIOD, handed back to it. */
  insertVacuumResumed: string[];
  /** BRIN ranges of the partitions held from insert-driven autovacuum, summarised by this run. */
  brinRangesSummarized: number;
  dropped: string[];
  rowsDeleted: number;
  eventIdsExpired: number;
}

/**
 * Keeps `logs` in shape: partitions PARTITIONS_AHEAD intervals ahead, whole partitions past retention
 * dropped, rows of tenants with a shorter retention deleted in bounded batches, expired event ids
 * forgotten; partitions whose range ended and that have stopped taking rows handed back to insert-driven
 * autovacuum, and those taking many rows held from it (every partition handed back, with
 * VACUUM_PARTITION_BEING_FILLED; docs/store.md "Autovacuum of the partition being filled"), and the new
 * BRIN ranges of those held summarised. Every worker schedules it; a session-level advisory lock lets
 * one run at a time, and each step is idempotent, so a run cut short by a crash is simply finished by
 * the next.
 */
@Injectable()
export class PartitionMaintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PartitionMaintenance.name);
  private readonly intervalMs: number;
  private readonly partitionInterval: string;
  private readonly ahead: number;
  private readonly deleteBatch: number;
  private readonly vacuumWhileFilling: boolean;
  private readonly quietMs: number;
  /** What this worker's last run saw of each partition's inserts (every worker keeps its own). */
  private fillReadings: ReadonlyMap<string, FillReading> = new Map();
  private readonly policy: RetentionPolicy;
  private timer?: NodeJS.Timeout;
  private current?: Promise<unknown>;
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: ConfigService<WorkerConfig, true>,
    private readonly metrics: StoreMetrics,
  ) {
    this.intervalMs = config.get('MAINTENANCE_INTERVAL', { infer: true });
    this.partitionInterval = config.get('PARTITION_INTERVAL', { infer: true });
    this.ahead = config.get('PARTITIONS_AHEAD', { infer: true });
    this.deleteBatch = config.get('MAINTENANCE_DELETE_BATCH', { infer: true });
    this.vacuumWhileFilling = config.get('VACUUM_PARTITION_BEING_FILLED', { infer: true });
    this.quietMs = config.get('PARTITION_QUIET_PERIOD', { infer: true });
    this.policy = {
      defaultMs: config.get('RETENTION', { infer: true }),
      tenants: parseTenantRetention(config.get('TENANT_RETENTION', { infer: true })),
    };
  }

  onApplicationBootstrap(): void {
    if (this.intervalMs === 0) return;
    this.schedule(Math.min(FIRST_RUN_DELAY_MS, this.intervalMs));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    // A DELETE batch or a DDL statement is short; let it finish rather than cut the connection under it.
    await this.current?.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.current = this.runOnce()
        .catch(() => undefined)
        .finally(() => {
          if (!this.stopping) this.schedule(this.intervalMs);
        });
    }, delayMs);
    // The job never keeps the process alive on its own.
    this.timer.unref();
  }

  /** One run; 'skipped' when another worker holds the lock. Errors are logged, counted and rethrown. */
  async runOnce(now: Date = new Date()): Promise<MaintenanceReport | 'skipped'> {
    const started = Date.now();
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      if (!(await tryMaintenanceLock(runner))) {
        this.logger.debug('maintenance skipped: another worker is running it');
        this.metrics.run('skipped');
        return 'skipped';
      }
      try {
        await runner.query(`SET lock_timeout = ${LOCK_TIMEOUT_MS}`);
        const report = await this.maintain(runner, now);
        this.metrics.did(report.created.length, report.dropped.length, report.rowsDeleted);
        this.metrics.run('done');
        this.logger.log({
          message: 'maintenance done',
          ...report,
          durationMs: Date.now() - started,
        });
        return report;
      } finally {
        await runner.query('RESET lock_timeout');
        await releaseMaintenanceLock(runner);
      }
    } catch (error) {
      this.metrics.run('failed');
      this.logger.error({ message: 'maintenance failed; the next run retries', error: String(error) });
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async maintain(db: SqlQueryable, now: Date): Promise<MaintenanceReport> {
    const before = new Set((await listLogPartitions(db)).map((p) => p.name));
    const until = new Date(now.getTime() + this.ahead * partitionIntervalMs(this.partitionInterval));
    const covering = await createLogPartitions(db, now, until, this.partitionInterval);
    const created = covering.filter((name) => !before.has(name));

    const plan = planRetention(this.policy, now);
    const dropped =
      plan.dropPartitionsBefore === null ? [] : await dropLogPartitionsBefore(db, plan.dropPartitionsBefore);
    let rowsDeleted = 0;
    for (const deletion of plan.deletions)
      rowsDeleted += await this.drain((limit) => deleteLogRows(db, deletion, limit));
    const eventIdsExpired =
      plan.dropPartitionsBefore === null
        ? 0
        : await this.drain((limit) => expireEventIds(db, plan.dropPartitionsBefore as Date, limit));
    const { insertVacuumHeld, insertVacuumResumed } = await this.holdPartitionsBeingFilled(db, now);
    const brinRangesSummarized = await summarizeOpenLogPartitions(db);
    return {
      created,
      insertVacuumHeld,
      insertVacuumResumed,
      brinRangesSummarized,
      dropped,
      rowsDeleted,
      eventIdsExpired,
    };
  }

  private async holdPartitionsBeingFilled(
    db: SqlQueryable,
    now: Date,
  ): Promise<Pick<MaintenanceReport, 'insertVacuumHeld' | 'insertVacuumResumed'>> {
    if (this.vacuumWhileFilling)
      return { insertVacuumHeld: [], insertVacuumResumed: await resumeInsertVacuum(db, null) };
    const plan = planInsertVacuumHolds(await listLogPartitionFill(db), this.fillReadings, now, this.quietMs);
    const insertVacuumHeld = await setInsertVacuumHold(db, plan.hold, true);
    const insertVacuumResumed = await setInsertVacuumHold(db, plan.resume, false);
    this.fillReadings = plan.readings;
    return { insertVacuumHeld, insertVacuumResumed };
  }

  /** Repeats a bounded DELETE until it finds less than a batch (or the worker stops); returns the total. */
  private async drain(step: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await step(this.deleteBatch);
      total += n;
      if (n < this.deleteBatch || this.stopping) return total;
    }
  }
}
