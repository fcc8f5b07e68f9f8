import 'reflect-metadata';
import { PrivatePostgres, sleep, waitFor } from '@logpipe/e2e-support';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { LogBatchWriter } from './log-batch.writer';
import {
  createLogPartitions,
  deleteLogRows,
  dropLogPartitionsBefore,
  expireEventIds,
  listLogPartitionFill,
  listLogPartitions,
  oldestLogTime,
  resumeInsertVacuum,
  setInsertVacuumHold,
  summarizeOpenLogPartitions,
} from './log-partitions';
import type { StoredLogEntry } from './stored-log-entry';
import { openMigratedSchema } from './testing/migrated-schema';

const DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const MIDNIGHT = Date.parse('2026-11-27T00:00:00.000Z');
const DAY = 86_400_000;

let streamSeq = 0;
function entry(overrides: Partial<StoredLogEntry> = {}): StoredLogEntry {
  streamSeq += 1;
  return {
    timestamp: MIDNIGHT - DAY / 2,
    receivedAt: MIDNIGHT - DAY / 2,
    level: 'info',
    service: 'checkout',
    message: 'order placed',
    attributes: null,
    traceId: null,
    spanId: null,
    eventId: null,
    tenant: 'acme',
    streamId: `${MIDNIGHT}-${streamSeq}`,
    ...overrides,
  };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
  [field: string]: unknown;
}

/** Every node of an EXPLAIN (FORMAT JSON) plan, the root first. */
function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

/** The partitions of `logs` created without insert-driven autovacuum and not yet handed back to it. */
async function partitionsHeldFromInsertVacuum(db: DataSource): Promise<string[]> {
  const rows: { name: string }[] = await db.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'logs'::regclass AND 'autovacuum_vacuum_insert_threshold=-1' = ANY (c.reloptions)
      ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}

/** `count` rows of `tenant` one second apart from `from`, with messages long enough to fill pages. */
function secondByEntries(
  from: number,
  count: number,
  overrides: Partial<StoredLogEntry> = {},
): StoredLogEntry[] {
  return Array.from({ length: count }, (_, i) =>
    entry({ timestamp: from + i * 1000, message: `request ${i} `.padEnd(300, '.'), ...overrides }),
  );
}

describe('partitioned logs against PostgreSQL', () => {
  const schema = `test_parts_${randomBytes(4).toString('hex')}`;
  let dataSource: DataSource;
  let writer: LogBatchWriter;

  const partitionOf = async (streamId: string): Promise<string[]> =>
    (
      await dataSource.query(`SELECT tableoid::regclass::text AS part FROM logs WHERE stream_id = $1`, [
        streamId,
      ])
    ).map((row: { part: string }) => row.part.replace(/^.*\./, ''));

  beforeAll(async () => {
    dataSource = await openMigratedSchema(DATABASE_URL, schema);
    writer = new LogBatchWriter(dataSource, '1 day');
  });

  afterAll(async () => {
    await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
    await dataSource.destroy();
  });

  beforeEach(async () => {
    for (const part of await listLogPartitions(dataSource))
      await dataSource.query(`DROP TABLE "${part.name}"`);
    await dataSource.query('TRUNCATE log_event_ids');
    await dataSource.query('TRUNCATE log_counts');
  });

  it('stores an entry that arrives before any partition exists (the job has not run): its day is created', async () => {
    await expect(listLogPartitions(dataSource)).resolves.toEqual([]);
    const first = entry();
    await expect(writer.insert([first])).resolves.toEqual({ inserted: 1, duplicates: 0 });
    const parts = await listLogPartitions(dataSource);
    expect(parts.map((p) => [p.name, p.rangeStart?.toISOString(), p.rangeEnd?.toISOString()])).toEqual([
      ['logs_p20261126t000000', '2026-11-26T00:00:00.000Z', '2026-11-27T00:00:00.000Z'],
    ]);
    await expect(partitionOf(first.streamId)).resolves.toEqual(['logs_p20261126t000000']);
  });

  it('puts an entry stamped exactly at midnight into the new day, and the last millisecond before it into the old', async () => {
    const before = entry({ timestamp: MIDNIGHT - 1 });
    const at = entry({ timestamp: MIDNIGHT });
    // One batch, two partitions missing: both are created, the batch is stored whole.
    await expect(writer.insert([before, at])).resolves.toEqual({ inserted: 2, duplicates: 0 });
    await expect(partitionOf(before.streamId)).resolves.toEqual(['logs_p20261126t000000']);
    await expect(partitionOf(at.streamId)).resolves.toEqual(['logs_p20261127t000000']);
  });

  it('stores a client retry once when its two attempts fall on either side of midnight (no client timestamp)', async () => {
    // The client sent no timestamp, so ts = receipt time: 23:59:59.990 for the first attempt, 00:00:00.020 for the retry.
    const first = entry({ eventId: 'order-7', timestamp: MIDNIGHT - 10, receivedAt: MIDNIGHT - 10 });
    const retry = entry({ eventId: 'order-7', timestamp: MIDNIGHT + 20, receivedAt: MIDNIGHT + 20 });
    await expect(writer.insert([first])).resolves.toEqual({ inserted: 1, duplicates: 0 });
    await expect(writer.insert([retry, entry({ timestamp: MIDNIGHT + 30 })])).resolves.toEqual({
      inserted: 1,
      duplicates: 1,
    });
    const rows = await dataSource.query(`SELECT stream_id FROM logs WHERE event_id = 'order-7'`);
    expect(rows).toEqual([{ stream_id: first.streamId }]);
    // Both attempts in one batch: the first one wins, in either order of partitions.
    const a = entry({ eventId: 'order-8', timestamp: MIDNIGHT + 40 });
    const b = entry({ eventId: 'order-8', timestamp: MIDNIGHT - 40 });
    await expect(writer.insert([a, b])).resolves.toEqual({ inserted: 1, duplicates: 1 });
    await expect(dataSource.query(`SELECT stream_id FROM logs WHERE event_id = 'order-8'`)).resolves.toEqual([
      { stream_id: a.streamId },
    ]);
  });

  it('stores a redelivered batch that straddles midnight once', async () => {
    const batch = [
      entry({ timestamp: MIDNIGHT - 5 }),
      entry({ timestamp: MIDNIGHT + 5, eventId: 'e-1' }),
      entry({ timestamp: MIDNIGHT + 6 }),
    ];
    await writer.insert(batch);
    await expect(writer.insert(batch)).resolves.toEqual({ inserted: 0, duplicates: 3 });
    await expect(dataSource.query('SELECT count(*)::int AS n FROM logs')).resolves.toEqual([{ n: 3 }]);
  });

  it("finds the oldest row's time across tenants (the worker's metric), null when empty, without an index on time alone", async () => {
    await expect(oldestLogTime(dataSource)).resolves.toBeNull();
    await writer.insert([
      entry({ tenant: 'acme', timestamp: MIDNIGHT + 5000 }),
      entry({ tenant: 'globex', timestamp: MIDNIGHT - DAY + 1234 }),
      entry({ tenant: 'initech', timestamp: MIDNIGHT - 10 }),
      entry({ tenant: 'acme', timestamp: MIDNIGHT - 3000 }),
    ]);
    await expect(oldestLogTime(dataSource)).resolves.toEqual(new Date(MIDNIGHT - DAY + 1234));
  });

  it('scans only the partitions of a time range (EXPLAIN shows the pruning)', async () => {
    await createLogPartitions(
      dataSource,
      new Date(MIDNIGHT - 3 * DAY),
      new Date(MIDNIGHT + 2 * DAY),
      '1 day',
    );
    expect((await listLogPartitions(dataSource)).length).toBe(5);
    const [{ 'QUERY PLAN': plan }] = await dataSource.query(
      `EXPLAIN (FORMAT JSON) SELECT * FROM logs WHERE tenant = 'acme' AND ts >= $1 AND ts < $2 ORDER BY ts DESC, id DESC LIMIT 50`,
      [new Date(MIDNIGHT - DAY + 3_600_000).toISOString(), new Date(MIDNIGHT + 3_600_000).toISOString()],
    );
    const relations = new Set(planNodes(plan[0].Plan).flatMap((node) => node['Relation Name'] ?? []));
    expect([...relations].sort()).toEqual(['logs_p20261126t000000', 'logs_p20261127t000000']);
  });

  it('drops only the partitions wholly before the cutoff, while writes go on', async () => {
    await createLogPartitions(dataSource, new Date(MIDNIGHT - 3 * DAY), new Date(MIDNIGHT + DAY), '1 day');
    await writer.insert([
      entry({ timestamp: MIDNIGHT - 3 * DAY + 1, eventId: 'old' }),
      entry({ timestamp: MIDNIGHT - DAY + 1 }),
    ]);
    const writes = (async () => {
      let stored = 0;
      for (let i = 0; i < 20; i++)
        stored += (await writer.insert([entry({ timestamp: MIDNIGHT + i })])).inserted;
      return stored;
    })();
    // The cutoff falls inside 2026-11-25: that day stays, 2026-11-24 goes.
    const dropped = await dropLogPartitionsBefore(dataSource, new Date(MIDNIGHT - 2 * DAY + 1000));
    await expect(writes).resolves.toBe(20);
    expect(dropped).toEqual(['logs_p20261124t000000']);
    expect((await listLogPartitions(dataSource)).map((p) => p.name)).toEqual([
      'logs_p20261125t000000',
      'logs_p20261126t000000',
      'logs_p20261127t000000',
    ]);
    await expect(dataSource.query('SELECT count(*)::int AS n FROM logs')).resolves.toEqual([{ n: 21 }]);
    // The dropped row's event id is forgotten with it.
    await expect(expireEventIds(dataSource, new Date(MIDNIGHT - 2 * DAY + 1000), 1000)).resolves.toBe(1);
  });

  it("keeps the console's rollup (log_counts) equal to the rows when retention deletes a tenant's rows or drops a partition", async () => {
    const byTenant = async (sql: string) =>
      ((await dataSource.query(sql)) as { tenant: string; n: number }[]).map((r) => `${r.tenant}:${r.n}`);
    const counts = () =>
      byTenant(`SELECT tenant, sum(count)::int AS n FROM log_counts GROUP BY tenant ORDER BY tenant`);
    const rows = () =>
      byTenant(`SELECT tenant, count(*)::int AS n FROM logs GROUP BY tenant ORDER BY tenant`);
    const at = (ms: number, tenant: string, level: StoredLogEntry['level'] = 'info') =>
      entry({ timestamp: ms, tenant, level });
    const old = MIDNIGHT - 1.5 * DAY;
    const recent = MIDNIGHT + 3_600_000;
    await writer.insert([
      at(old, 'acme'),
      at(old, 'acme', 'warn'),
      at(old + 60_000, 'acme'),
      at(old, 'globex'),
    ]);
    await writer.insert([at(old, 'globex'), at(recent, 'acme'), at(recent, 'acme'), at(recent, 'globex')]);
    expect(await counts()).toEqual(['acme:5', 'globex:3']);
    await expect(
      deleteLogRows(dataSource, { tenants: ['acme'], except: false, before: new Date(MIDNIGHT) }, 100),
    ).resolves.toBe(3);
    expect(await rows()).toEqual(['acme:2', 'globex:3']);
    expect(await counts()).toEqual(await rows());
    await dropLogPartitionsBefore(dataSource, new Date(MIDNIGHT - DAY));
    expect(await rows()).toEqual(['acme:2', 'globex:1']);
    expect(await counts()).toEqual(await rows());
    // Buckets that reached zero are gone, not kept as zeros.
    const [{ zero }] = await dataSource.query(
      `SELECT count(*)::int AS zero FROM log_counts WHERE count <= 0`,
    );
    expect(zero).toBe(0);
  });

  it("deletes one tenant's expired rows in bounded batches, and their event ids, leaving the others", async () => {
    await writer.insert([
      entry({ tenant: 'acme', timestamp: MIDNIGHT - 2 * DAY, eventId: 'a-1' }),
      entry({ tenant: 'acme', timestamp: MIDNIGHT - 2 * DAY + 1 }),
      entry({ tenant: 'acme', timestamp: MIDNIGHT - 2 * DAY + 2 }),
      entry({ tenant: 'acme', timestamp: MIDNIGHT }),
      entry({ tenant: 'globex', timestamp: MIDNIGHT - 2 * DAY }),
    ]);
    const acmeOld = { tenants: ['acme'], except: false, before: new Date(MIDNIGHT - DAY) };
    await expect(deleteLogRows(dataSource, acmeOld, 2)).resolves.toBe(2);
    await expect(deleteLogRows(dataSource, acmeOld, 2)).resolves.toBe(1);
    await expect(deleteLogRows(dataSource, acmeOld, 2)).resolves.toBe(0);
    const rest = await dataSource.query(
      `SELECT tenant, (extract(epoch FROM ts) * 1000)::bigint::text AS ts FROM logs ORDER BY tenant`,
    );
    expect(rest).toEqual([
      { tenant: 'acme', ts: String(MIDNIGHT) },
      { tenant: 'globex', ts: String(MIDNIGHT - 2 * DAY) },
    ]);
    await expect(dataSource.query('SELECT count(*)::int AS n FROM log_event_ids')).resolves.toEqual([
      { n: 0 },
    ]);
    // "Every tenant but acme": globex's old row goes.
    await expect(
      deleteLogRows(dataSource, { tenants: ['acme'], except: true, before: new Date(MIDNIGHT - DAY) }, 100),
    ).resolves.toBe(1);
  });

  it('creates every partition without insert-driven autovacuum, and hands those whose range ended back to it', async () => {
    await createLogPartitions(dataSource, new Date(MIDNIGHT - 2 * DAY), new Date(MIDNIGHT + DAY), '1 day');
    await writer.insert([entry({ timestamp: MIDNIGHT + DAY + 1 })]); // made by the writer, not the job
    expect(await partitionsHeldFromInsertVacuum(dataSource)).toEqual([
      'logs_p20261125t000000',
      'logs_p20261126t000000',
      'logs_p20261127t000000',
      'logs_p20261128t000000',
    ]);
    // A cutoff inside 2026-11-27: the two days that ended go back; the one under way stays held.
    await expect(resumeInsertVacuum(dataSource, new Date(MIDNIGHT + 1000))).resolves.toEqual([
      'logs_p20261125t000000',
      'logs_p20261126t000000',
    ]);
    expect(await partitionsHeldFromInsertVacuum(dataSource)).toEqual([
      'logs_p20261127t000000',
      'logs_p20261128t000000',
    ]);
    const [{ reloptions }] = await dataSource.query(
      `SELECT reloptions FROM pg_class WHERE oid = 'logs_p20261126t000000'::regclass`,
    );
    expect(reloptions).toBeNull(); // autovacuum's defaults again, nothing else was changed
    await expect(resumeInsertVacuum(dataSource, new Date(MIDNIGHT + 1000))).resolves.toEqual([]);
  });

  it("holds and hands back the partitions named, counts each one's inserts, and skips one it cannot lock", async () => {
    await createLogPartitions(dataSource, new Date(MIDNIGHT - DAY), new Date(MIDNIGHT + DAY), '1 day');
    await writer.insert(secondByEntries(MIDNIGHT - DAY, 30));
    // The statistics count a commit's inserts a second or so after it.
    await waitFor(
      'the statistics to count 30 rows inserted',
      async () =>
        (await listLogPartitionFill(dataSource)).find((p) => p.name === 'logs_p20261126t000000')
          ?.rowsInserted === 30,
      15_000,
    );
    expect(await listLogPartitionFill(dataSource)).toEqual([
      {
        name: 'logs_p20261126t000000',
        rangeEnd: new Date(MIDNIGHT),
        held: true,
        rowsInserted: 30,
        // autovacuum_vacuum_insert_threshold + 0.2 x reltuples: never analysed yet, so 1,000 + 0.
        insertVacuumTrigger: 1000,
      },
      expect.objectContaining({ name: 'logs_p20261127t000000', held: true, rowsInserted: 0 }),
    ]);
    await expect(
      setInsertVacuumHold(
        dataSource,
        ['logs_p20261126t000000', 'logs_p20261127t000000', 'not_a_partition'],
        false,
      ),
    ).resolves.toEqual(['logs_p20261126t000000', 'logs_p20261127t000000']);
    expect(await partitionsHeldFromInsertVacuum(dataSource)).toEqual([]);
    // Already handed back: nothing to change.
    await expect(setInsertVacuumHold(dataSource, ['logs_p20261126t000000'], false)).resolves.toEqual([]);

    // A session holding a lock that conflicts with ALTER TABLE ... SET (as a VACUUM or an ANALYZE does).
    const blocker = dataSource.createQueryRunner();
    const caller = dataSource.createQueryRunner();
    try {
      await blocker.startTransaction();
      await blocker.query('LOCK TABLE logs_p20261127t000000 IN SHARE UPDATE EXCLUSIVE MODE');
      await caller.query('SET lock_timeout = 200');
      await expect(
        setInsertVacuumHold(caller, ['logs_p20261126t000000', 'logs_p20261127t000000'], true),
      ).resolves.toEqual(['logs_p20261126t000000']);
      await blocker.commitTransaction();
      await expect(setInsertVacuumHold(caller, ['logs_p20261127t000000'], true)).resolves.toEqual([
        'logs_p20261127t000000',
      ]);
    } finally {
      await caller.query('RESET lock_timeout');
      await Promise.all([blocker.release(), caller.release()]);
    }
    expect(await partitionsHeldFromInsertVacuum(dataSource)).toEqual([
      'logs_p20261126t000000',
      'logs_p20261127t000000',
    ]);
  });

  it('summarises the new BRIN ranges of the partitions being filled: a time range without a tenant reads only its pages', async () => {
    // Two days of 12,000 rows each (about 4 MB, 4 ranges of 128 pages): 2026-11-26, which has ended
    // and goes back to autovacuum, and 2026-11-27, being filled.
    for (const day of [MIDNIGHT - DAY, MIDNIGHT])
      for (let batch = 0; batch < 6; batch++)
        await writer.insert(secondByEntries(day + batch * 2000 * 1000, 2000));
    await expect(resumeInsertVacuum(dataSource, new Date(MIDNIGHT))).resolves.toEqual([
      'logs_p20261126t000000',
    ]);
    /** Heap blocks a bitmap scan of the BRIN visits for one hour of `day`, and the partition's size. */
    const hourScan = (day: number) =>
      dataSource.transaction(async (manager) => {
        await manager.query('SET LOCAL enable_seqscan = off');
        const [{ 'QUERY PLAN': plan }] = await manager.query(
          `EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM logs WHERE ts >= $1 AND ts < $2`,
          [new Date(day + 3_600_000).toISOString(), new Date(day + 7_200_000).toISOString()],
        );
        const nodes = planNodes(plan[0].Plan);
        const heap = nodes.find((node) => node['Node Type'] === 'Bitmap Heap Scan');
        const brin = nodes.find((node) => node['Node Type'] === 'Bitmap Index Scan');
        const [{ pages }] = await manager.query(
          `SELECT relpages AS pages FROM pg_class WHERE oid = $1::regclass`,
          [heap?.['Relation Name']],
        );
        return {
          index: String(brin?.['Index Name']),
          blocks: Number(heap?.['Lossy Heap Blocks'] ?? 0) + Number(heap?.['Exact Heap Blocks'] ?? 0),
          pages: Number(pages),
        };
      });
    await dataSource.query('ANALYZE logs');
    const before = await hourScan(MIDNIGHT);
    expect(before.index).toMatch(/ts_idx$/); // the partition's BRIN, logs_p20261127t000000_ts_idx
    expect(before.pages).toBeGreaterThan(3 * 128);
    // Every unsummarised range matches: all but the first, which the index's build summarised (empty)
    // when the partition was created, and inserts have kept up to date since.
    expect(before.blocks).toBeGreaterThanOrEqual(before.pages - 128);

    const ranges = await summarizeOpenLogPartitions(dataSource);
    expect(ranges).toBeGreaterThanOrEqual(3);
    await expect(summarizeOpenLogPartitions(dataSource)).resolves.toBe(0);
    const after = await hourScan(MIDNIGHT);
    expect(after.blocks).toBeLessThanOrEqual(2 * 128); // the hour's range, and its neighbour at most
    // The day that ended is autovacuum's to summarise now, not the job's.
    const ended = await hourScan(MIDNIGHT - DAY);
    expect(ended.blocks).toBeGreaterThanOrEqual(ended.pages - 128);
  });
});

describe('insert-driven autovacuum of partitions, on a private PostgreSQL that visits every second', () => {
  let server: PrivatePostgres;
  let dataSource: DataSource;
  let writer: LogBatchWriter;

  /** What pg_stat_user_tables says autovacuum did to one partition. */
  const autovacuumOf = async (name: string) => {
    const [row] = await dataSource.query(
      `SELECT autovacuum_count::int AS vacuums, autoanalyze_count::int AS analyzes
         FROM pg_stat_user_tables WHERE relid = $1::regclass`,
      [name],
    );
    return row as { vacuums: number; analyzes: number };
  };

  beforeAll(async () => {
    server = await PrivatePostgres.create('log-store-autovacuum-');
    await server.start();
    dataSource = await openMigratedSchema(server.url, 'logpipe');
    await dataSource.query('ALTER SYSTEM SET autovacuum_naptime = 1');
    await dataSource.query('SELECT pg_reload_conf()');
    writer = new LogBatchWriter(dataSource, '1 day');
  }, 120000);

  afterAll(async () => {
    await dataSource?.destroy();
    await server?.destroy();
  }, 60000);

  it('leaves the partition being filled to auto-analyze only, and vacuums one once its range has ended', async () => {
    // 3,000 rows a day: three times autovacuum's default insert threshold of an empty table (1,000).
    for (const day of [MIDNIGHT - DAY, MIDNIGHT]) await writer.insert(secondByEntries(day, 3000));
    const [ended, open] = ['logs_p20261126t000000', 'logs_p20261127t000000'];
    await waitFor(
      'auto-analyze of both partitions',
      async () => {
        const [a, b] = [await autovacuumOf(ended), await autovacuumOf(open)];
        if (a.analyzes === 0 || b.analyzes === 0) throw new Error(JSON.stringify({ a, b }));
        return true;
      },
      30000,
    );
    // Several more visits (a second apart) without a vacuum of either.
    await sleep(4000);
    expect((await autovacuumOf(ended)).vacuums).toBe(0);
    expect((await autovacuumOf(open)).vacuums).toBe(0);

    await expect(resumeInsertVacuum(dataSource, new Date(MIDNIGHT))).resolves.toEqual([ended]);
    await waitFor(
      'autovacuum of the partition handed back',
      async () => {
        const a = await autovacuumOf(ended);
        if (a.vacuums === 0) throw new Error(JSON.stringify(a));
        return true;
      },
      30000,
    );
    const [{ visible, pages }] = await dataSource.query(
      `SELECT relallvisible AS visible, relpages AS pages FROM pg_class WHERE oid = $1::regclass`,
      [ended],
    );
    expect(visible).toBe(pages); // what the vacuum was for: every page all-visible
    expect((await autovacuumOf(open)).vacuums).toBe(0);
  }, 120000);

  it('does not vacuum an ended partition held again while a backfill fills it', async () => {
    const backfilled = 'logs_p20261125t000000';
    await writer.insert(secondByEntries(MIDNIGHT - 2 * DAY, 3000));
    await expect(setInsertVacuumHold(dataSource, [backfilled], false)).resolves.toEqual([backfilled]);
    await waitFor(
      'autovacuum of the partition handed back',
      async () => (await autovacuumOf(backfilled)).vacuums > 0,
      30000,
    );
    // The maintenance job found it busy again: held, then 12,000 more rows, four times the
    // 1,000 + 20% of 3,000 that would make autovacuum vacuum it again.
    await expect(setInsertVacuumHold(dataSource, [backfilled], true)).resolves.toEqual([backfilled]);
    const before = await autovacuumOf(backfilled);
    for (let hour = 1; hour <= 4; hour++)
      await writer.insert(secondByEntries(MIDNIGHT - 2 * DAY + hour * 3_600_000, 3000));
    await waitFor(
      'auto-analyze of the backfilled partition',
      async () => (await autovacuumOf(backfilled)).analyzes > before.analyzes,
      30000,
    );
    await sleep(4000);
    expect((await autovacuumOf(backfilled)).vacuums).toBe(before.vacuums);
  }, 120000);
});
