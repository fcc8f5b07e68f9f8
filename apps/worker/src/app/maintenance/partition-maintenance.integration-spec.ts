import 'reflect-metadata';
import { waitFor } from '@logpipe/e2e-support';
import {
  listLogPartitionFill,
  listLogPartitions,
  LogBatchWriter,
  releaseMaintenanceLock,
  tryMaintenanceLock,
  type StoredLogEntry,
} from '@logpipe/log-store';
import { openMigratedSchema } from '@logpipe/log-store/testing';
import type { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import type { WorkerMetrics } from '../metrics/worker.metrics';
import type { WorkerConfig } from '../worker.config';
import { type MaintenanceReport, PartitionMaintenance } from './partition-maintenance.service';
import { StoreMetrics } from './store.metrics';

const DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date('2026-11-29T12:00:00.000Z');

let seq = 0;
function entry(tenant: string, ageMs: number, eventId: string | null = null): StoredLogEntry {
  seq += 1;
  const at = NOW.getTime() - ageMs;
  return {
    timestamp: at,
    receivedAt: at,
    level: 'info',
    service: 'svc',
    message: `m${seq}`,
    attributes: null,
    traceId: null,
    spanId: null,
    eventId,
    tenant,
    streamId: `${at}-${seq}`,
  };
}

describe('partition maintenance against PostgreSQL', () => {
  const schema = `test_maint_${randomBytes(4).toString('hex')}`;
  let dataSource: DataSource;
  let writer: LogBatchWriter;
  let registry: Registry;

  const job = (env: Partial<Record<keyof WorkerConfig, unknown>> = {}) => {
    const values: Partial<Record<keyof WorkerConfig, unknown>> = {
      MAINTENANCE_INTERVAL: 0,
      PARTITION_INTERVAL: '1 day',
      PARTITIONS_AHEAD: 3,
      RETENTION: 30 * DAY,
      MAINTENANCE_DELETE_BATCH: 100,
      VACUUM_PARTITION_BEING_FILLED: false,
      PARTITION_QUIET_PERIOD: HOUR,
      ...env,
    };
    const config = { get: (key: keyof WorkerConfig) => values[key] } as unknown as ConfigService<
      WorkerConfig,
      true
    >;
    registry = new Registry();
    const metrics = new StoreMetrics({ registry } as WorkerMetrics, dataSource);
    return new PartitionMaintenance(dataSource, config, metrics);
  };

  const partitionNames = async () => (await listLogPartitions(dataSource)).map((p) => p.name);
  const heldPartitions = async () =>
    (await listLogPartitionFill(dataSource)).filter((p) => p.held).map((p) => p.name);
  /** Waits until PostgreSQL's statistics count `rows` inserted into `partition` (they lag commits by ~1 s). */
  const statisticsCount = (partition: string, rows: number) =>
    waitFor(
      `the statistics to count ${rows} rows inserted into ${partition}`,
      async () =>
        ((await listLogPartitionFill(dataSource)).find((p) => p.name === partition)?.rowsInserted ?? 0) >=
        rows,
      15_000,
      200,
    );

  beforeAll(async () => {
    dataSource = await openMigratedSchema(DATABASE_URL, schema);
    writer = new LogBatchWriter(dataSource, '1 day');
  });

  afterAll(async () => {
    await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
    await dataSource.destroy();
  });

  beforeEach(async () => {
    for (const name of await partitionNames()) await dataSource.query(`DROP TABLE "${name}"`);
    await dataSource.query('TRUNCATE log_event_ids');
  });

  it('creates today and PARTITIONS_AHEAD days ahead, and a second run changes nothing', async () => {
    const first = await job().runOnce(NOW);
    expect(first).toMatchObject({
      created: [
        'logs_p20261129t000000',
        'logs_p20261130t000000',
        'logs_p20261201t000000',
        'logs_p20261202t000000',
      ],
      dropped: [],
    });
    await expect(job().runOnce(NOW)).resolves.toEqual({
      created: [],
      insertVacuumHeld: [],
      insertVacuumResumed: [],
      brinRangesSummarized: 0,
      dropped: [],
      rowsDeleted: 0,
      eventIdsExpired: 0,
    });
    expect(await partitionNames()).toHaveLength(4);
  });

  it("hands yesterday's partition back once it has been quiet for PARTITION_QUIET_PERIOD, and summarises today's new BRIN ranges", async () => {
    await writer.insert([entry('acme', DAY)]);
    // 24,000 rows of today in time order (a few 128-page BRIN ranges), in batches as the worker writes.
    for (let batch = 0; batch < 6; batch++)
      await writer.insert(
        Array.from({ length: 4000 }, (_, i) => entry('acme', 11 * 3_600_000 - (batch * 4000 + i))),
      );
    const maintenance = job({ PARTITION_QUIET_PERIOD: HOUR });
    // The first run has nothing to compare yesterday's insert count with: it keeps the partition held.
    const first = await maintenance.runOnce(NOW);
    expect(first).toMatchObject({ insertVacuumHeld: [], insertVacuumResumed: [] });
    expect((first as MaintenanceReport).brinRangesSummarized).toBeGreaterThanOrEqual(1);
    await expect(maintenance.runOnce(new Date(NOW.getTime() + HOUR / 2))).resolves.toMatchObject({
      insertVacuumResumed: [],
      brinRangesSummarized: 0,
    });
    await expect(maintenance.runOnce(new Date(NOW.getTime() + HOUR))).resolves.toMatchObject({
      insertVacuumHeld: [],
      insertVacuumResumed: ['logs_p20261128t000000'],
    });
    expect(await heldPartitions()).not.toContain('logs_p20261128t000000');
  });

  it('holds an ended partition again while a backfill fills it, and hands it back once the backfill stops', async () => {
    await writer.insert([entry('acme', DAY)]);
    const maintenance = job({ PARTITION_QUIET_PERIOD: 0 });
    await maintenance.runOnce(NOW);
    await expect(maintenance.runOnce(NOW)).resolves.toMatchObject({
      insertVacuumResumed: ['logs_p20261128t000000'],
    });
    // A replay of yesterday: more rows than the 1,000 + 20% that make autovacuum vacuum a table.
    await writer.insert(Array.from({ length: 1500 }, (_, i) => entry('acme', DAY - i)));
    await statisticsCount('logs_p20261128t000000', 1501);
    await expect(maintenance.runOnce(NOW)).resolves.toMatchObject({
      insertVacuumHeld: ['logs_p20261128t000000'],
      insertVacuumResumed: [],
    });
    expect(await heldPartitions()).toContain('logs_p20261128t000000');
    // A few late lines are not a backfill: the next run finds it quiet and hands it back.
    await writer.insert([entry('acme', DAY + 5000)]);
    await statisticsCount('logs_p20261128t000000', 1502);
    await expect(maintenance.runOnce(NOW)).resolves.toMatchObject({
      insertVacuumHeld: [],
      insertVacuumResumed: ['logs_p20261128t000000'],
    });
  });

  it('holds a partition being filled that was handed back (VACUUM_PARTITION_BEING_FILLED switched off again)', async () => {
    await writer.insert([entry('acme', 0)]);
    await job({ VACUUM_PARTITION_BEING_FILLED: true }).runOnce(NOW);
    expect(await heldPartitions()).toEqual([]);
    await expect(job().runOnce(NOW)).resolves.toMatchObject({
      insertVacuumHeld: [
        'logs_p20261129t000000',
        'logs_p20261130t000000',
        'logs_p20261201t000000',
        'logs_p20261202t000000',
      ],
    });
  });

  it('with VACUUM_PARTITION_BEING_FILLED, hands every partition back to autovacuum, the one being filled too', async () => {
    await writer.insert([entry('acme', DAY), entry('acme', 0)]);
    const report = await job({ VACUUM_PARTITION_BEING_FILLED: true }).runOnce(NOW);
    expect(report).toMatchObject({
      insertVacuumResumed: [
        'logs_p20261128t000000',
        'logs_p20261129t000000',
        'logs_p20261130t000000',
        'logs_p20261201t000000',
        'logs_p20261202t000000',
      ],
      brinRangesSummarized: 0,
    });
  });

  it('drops the partitions past RETENTION, and only those, while writes go on', async () => {
    await writer.insert([entry('acme', 40 * DAY, 'old-1'), entry('acme', 29 * DAY), entry('acme', 0)]);
    let stop = false;
    const writes = (async () => {
      let n = 0;
      while (!stop) n += (await writer.insert([entry('acme', 0)])).inserted;
      return n;
    })();
    const report = await job().runOnce(NOW);
    stop = true;
    const written = await writes;
    expect(report).toMatchObject({ dropped: ['logs_p20261020t000000'], eventIdsExpired: 1 });
    await expect(dataSource.query('SELECT count(*)::int AS n FROM logs')).resolves.toEqual([
      { n: 2 + written },
    ]);
    expect(await partitionNames()).not.toContain('logs_p20261020t000000');
    expect(await partitionNames()).toContain('logs_p20261031t000000');
  });

  it('applies TENANT_RETENTION: partitions kept for the longest, shorter tenants deleted row by row in batches', async () => {
    const rows = [
      ...Array.from({ length: 250 }, () => entry('acme', 10 * DAY)),
      entry('acme', 1 * DAY, 'acme-recent'),
      entry('globex', 60 * DAY),
      entry('initech', 40 * DAY),
      entry('initech', 10 * DAY),
    ];
    await writer.insert(rows);
    const report = await job({ TENANT_RETENTION: 'acme:7d,globex:90d' }).runOnce(NOW);
    // globex keeps 90 days, so no partition younger than that goes; acme loses 250 rows (3 batches of
    // at most 100), initech (RETENTION, 30 days) its 40-day-old row.
    expect(report).toMatchObject({ dropped: [], rowsDeleted: 251 });
    const left = await dataSource.query(
      `SELECT tenant, round(extract(epoch FROM $1::timestamptz - ts) / 86400)::int AS days FROM logs ORDER BY tenant, ts`,
      [NOW.toISOString()],
    );
    expect(left).toEqual([
      { tenant: 'acme', days: 1 },
      { tenant: 'globex', days: 60 },
      { tenant: 'initech', days: 10 },
    ]);
  });

  it('lets one worker run at a time: a run finds the lock held and skips', async () => {
    const other = dataSource.createQueryRunner();
    await other.connect();
    try {
      expect(await tryMaintenanceLock(other)).toBe(true);
      await expect(job().runOnce(NOW)).resolves.toBe('skipped');
      expect(await partitionNames()).toEqual([]);
    } finally {
      // A session-level lock outlives release() (the connection goes back to the pool): unlock first.
      await releaseMaintenanceLock(other);
      await other.release();
    }
  });

  it('reports partitions, their sizes, the age of the oldest row and the runs on /metrics', async () => {
    await writer.insert([entry('acme', 2 * DAY)]);
    const maintenance = job({ RETENTION: 0 });
    await maintenance.runOnce(NOW);
    const text = await registry.metrics();
    expect(text).toMatch(/^logpipe_store_partitions 5$/m);
    expect(text).toMatch(/^logpipe_store_partition_bytes\{partition="logs_p20261127t000000"\} \d+$/m);
    const age = Number(/^logpipe_store_oldest_entry_age_seconds (\S+)$/m.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual((Date.now() - (NOW.getTime() - 2 * DAY)) / 1000 - 60);
    expect(text).toMatch(/^logpipe_maintenance_runs_total\{outcome="done"\} 1$/m);
    expect(text).toMatch(/^logpipe_maintenance_partitions_created_total 4$/m);
  });
});
