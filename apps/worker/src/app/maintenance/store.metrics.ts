import { listLogPartitions, oldestLogTime } from '@logpipe/log-store';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { WorkerMetrics } from '../metrics/worker.metrics';

export type MaintenanceOutcome = 'done' | 'skipped' | 'failed';

/**
 * The store's shape on the worker's /metrics: partitions, their sizes and the age of the oldest row are
 * read from PostgreSQL at scrape time (catalog queries and one min(ts) over the partitions' ts indexes);
 * the maintenance job counts what it did. A scrape while PostgreSQL is down leaves the gauges out.
 */
@Injectable()
export class StoreMetrics {
  private readonly runs: Counter<'outcome'>;
  private readonly created: Counter;
  private readonly dropped: Counter;
  private readonly deleted: Counter;
  private readonly lastSuccess: Gauge;

  constructor(metrics: WorkerMetrics, @InjectDataSource() dataSource: DataSource) {
    const registers = [metrics.registry];
    new Gauge({
      name: 'logpipe_store_partitions',
      help: 'Partitions of the logs table',
      registers,
      async collect() {
        this.set(
          await listLogPartitions(dataSource).then(
            (p) => p.length,
            () => Number.NaN,
          ),
        );
      },
    });
    new Gauge({
      name: 'logpipe_store_partition_bytes',
      help: 'Size of one partition of logs (table, indexes, TOAST)',
      labelNames: ['partition'],
      registers,
      async collect() {
        const partitions = await listLogPartitions(dataSource).catch(() => []);
        // Dropped partitions leave the series with their tables.
        this.reset();
        for (const p of partitions) this.set({ partition: p.name }, p.totalBytes);
      },
    });
    new Gauge({
      name: 'logpipe_store_oldest_entry_age_seconds',
      help: 'Age of the oldest stored row by its event time (0 when there is none)',
      registers,
      async collect() {
        const oldest = await oldestLogTime(dataSource).catch(() => undefined);
        this.set(
          oldest === undefined ? Number.NaN : oldest === null ? 0 : (Date.now() - oldest.getTime()) / 1000,
        );
      },
    });
    this.runs = new Counter({
      name: 'logpipe_maintenance_runs_total',
      help: 'Maintenance runs: done, skipped (another worker held the lock) or failed',
      labelNames: ['outcome'],
      registers,
    });
    this.created = new Counter({
      name: 'logpipe_maintenance_partitions_created_total',
      help: 'Partitions the maintenance job created ahead',
      registers,
    });
    this.dropped = new Counter({
      name: 'logpipe_maintenance_partitions_dropped_total',
      help: 'Partitions dropped past retention',
      registers,
    });
    this.deleted = new Counter({
      name: 'logpipe_maintenance_rows_deleted_total',
      help: 'Rows deleted by per-tenant retention (inside partitions kept for a longer retention)',
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'logpipe_maintenance_last_success_timestamp_seconds',
      help: 'When the last maintenance run finished without error (Unix time)',
      registers,
    });
  }

  run(outcome: MaintenanceOutcome): void {
    this.runs.inc({ outcome });
    if (outcome === 'done') this.lastSuccess.set(Date.now() / 1000);
  }

  did(created: number, dropped: number, rowsDeleted: number): void {
    this.created.inc(created);
    this.dropped.inc(dropped);
    this.deleted.inc(rowsDeleted);
  }
}
