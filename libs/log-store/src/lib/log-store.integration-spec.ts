import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSourceOptions } from './data-source-options';
import { isTransientDatabaseError } from './database-errors';
import { LogBatchWriter } from './log-batch.writer';
import { LOG_STORE_MIGRATIONS } from './migrations';
import type { StoredLogEntry } from './stored-log-entry';
import { LOG_WRITE_LANES } from './write-lanes';
import { openMigratedSchema } from './testing/migrated-schema';

const DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

function entry(overrides: Partial<StoredLogEntry> = {}): StoredLogEntry {
  return {
    timestamp: Date.parse('2026-11-26T10:00:00.123Z'),
    receivedAt: Date.parse('2026-11-26T10:00:01.456Z'),
    level: 'info',
    service: 'checkout',
    message: 'order placed',
    attributes: { order: { id: 42, items: ['a', 'b'] }, quote: 'it\'s "x"\\y', unicode: 'żółw 🐢' },
    traceId: '0123456789abcdef0123456789abcdef',
    spanId: '0123456789abcdef',
    eventId: null,
    tenant: 'default',
    streamId: '1764151200000-0',
    ...overrides,
  };
}

describe('log-store against PostgreSQL', () => {
  const schema = `test_store_${randomBytes(4).toString('hex')}`;
  let dataSource: DataSource;
  let writer: LogBatchWriter;

  beforeAll(async () => {
    dataSource = await openMigratedSchema(DATABASE_URL, schema);
    writer = new LogBatchWriter(dataSource);
  });

  afterAll(async () => {
    await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
    await dataSource.destroy();
  });

  beforeEach(async () => {
    await dataSource.query('TRUNCATE logs, log_event_ids');
  });

  it('creates the schema the entity describes (no pending schema changes after the migrations)', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('stores every field of a batch intact', async () => {
    const rows = [
      entry(),
      entry({
        streamId: '1764151200000-1',
        attributes: null,
        traceId: null,
        spanId: null,
        eventId: 'evt-1',
        tenant: 'acme',
      }),
    ];
    await expect(writer.insert(rows)).resolves.toEqual({ inserted: 2, duplicates: 0 });
    const stored = await dataSource.query(
      `SELECT (extract(epoch from ts) * 1000)::bigint AS ts_ms, (extract(epoch from received_at) * 1000)::bigint AS received_ms,
              level, service, message, attributes, trace_id, span_id, event_id, stream_id, tenant FROM logs ORDER BY stream_id`,
    );
    expect(stored).toEqual([
      {
        ts_ms: String(rows[0].timestamp),
        received_ms: String(rows[0].receivedAt),
        level: 'info',
        service: 'checkout',
        message: 'order placed',
        attributes: rows[0].attributes,
        trace_id: rows[0].traceId,
        span_id: rows[0].spanId,
        event_id: null,
        stream_id: '1764151200000-0',
        tenant: 'default',
      },
      {
        ts_ms: String(rows[1].timestamp),
        received_ms: String(rows[1].receivedAt),
        level: 'info',
        service: 'checkout',
        message: 'order placed',
        attributes: null,
        trace_id: null,
        span_id: null,
        event_id: 'evt-1',
        stream_id: '1764151200000-1',
        tenant: 'acme',
      },
    ]);
  });

  it('stores control characters, backslashes, multi-byte text and times before 2000 exactly', async () => {
    const row = entry({
      streamId: '1764151200000-2',
      timestamp: Date.parse('2026-11-26T10:00:00.999Z'),
      receivedAt: Date.parse('1999-12-31T23:59:59.001Z'),
      service: 'żółw-🐢',
      message: 'tab\there\nnew line\r\\N not null \\ backslash, ünïcödé 🐢',
      attributes: { 'k\te\ny': 'v\\\n\t', nested: { deep: [1.5, -2, true, null, '🐢'] } },
      eventId: 'evt\\2',
    });
    await expect(writer.insert([row])).resolves.toEqual({ inserted: 1, duplicates: 0 });
    const [stored] = await dataSource.query(
      `SELECT (extract(epoch from ts) * 1000)::bigint AS ts_ms, (extract(epoch from received_at) * 1000)::bigint AS received_ms,
              service, message, attributes, event_id FROM logs`,
    );
    expect(stored).toEqual({
      ts_ms: String(row.timestamp),
      received_ms: String(row.receivedAt),
      service: row.service,
      message: row.message,
      attributes: row.attributes,
      event_id: row.eventId,
    });
    // The same text through the path that skips duplicates (unnest INSERT, the row's fields read back
    // from its COPY text): the redelivered row is refused, a new one with the same text stored exactly,
    // and its event id claimed as written.
    const again = { ...row, streamId: '1764151200000-3', eventId: 'evt\\3\t' };
    await expect(writer.insert([row, again])).resolves.toEqual({ inserted: 1, duplicates: 1 });
    const [second] = await dataSource.query(
      `SELECT (extract(epoch from ts) * 1000)::bigint AS ts_ms, service, message, attributes, event_id
       FROM logs WHERE stream_id = $1`,
      [again.streamId],
    );
    expect(second).toEqual({
      ts_ms: String(row.timestamp),
      service: row.service,
      message: row.message,
      attributes: row.attributes,
      event_id: again.eventId,
    });
    await expect(
      dataSource.query('SELECT event_id FROM log_event_ids WHERE stream_id = $1', [again.streamId]),
    ).resolves.toEqual([{ event_id: again.eventId }]);
  });

  it('skips a redelivered batch (same stream ids) instead of duplicating it', async () => {
    const batch = [entry({ streamId: '1-0' }), entry({ streamId: '1-1' })];
    await writer.insert(batch);
    await expect(writer.insert(batch)).resolves.toEqual({ inserted: 0, duplicates: 2 });
    await expect(dataSource.query('SELECT count(*)::int AS n FROM logs')).resolves.toEqual([{ n: 2 }]);
  });

  it("stores a batch in its writer's lane, on the COPY path and on the path that skips duplicates", async () => {
    await writer.insert([entry({ streamId: '5-0' }), entry({ streamId: '5-1' })], 2);
    // The redelivery path (unnest INSERT, after COPY hit the unique key): the new row takes this call's lane.
    await expect(writer.insert([entry({ streamId: '5-1' }), entry({ streamId: '5-2' })], 1)).resolves.toEqual(
      {
        inserted: 1,
        duplicates: 1,
      },
    );
    await expect(dataSource.query('SELECT stream_id, lane FROM logs ORDER BY stream_id')).resolves.toEqual([
      { stream_id: '5-0', lane: 2 },
      { stream_id: '5-1', lane: 2 },
      { stream_id: '5-2', lane: 1 },
    ]);
  });

  it('refuses a lane the table has no index for, in the writer and in the table', async () => {
    await expect(writer.insert([entry({ streamId: '6-0' })], LOG_WRITE_LANES)).rejects.toThrow(
      `write lane ${LOG_WRITE_LANES} is not one of 0-${LOG_WRITE_LANES - 1}`,
    );
    // A row written by hand (psql) with a lane outside them could never be found by a word search. (The
    // first row makes the partition the second would go to.)
    await writer.insert([entry({ streamId: '6-1' })]);
    await expect(
      dataSource.query(
        `INSERT INTO logs (ts, received_at, level, service, message, stream_id, lane)
         SELECT ts, received_at, level, service, message, '6-2', $1 FROM logs`,
        [LOG_WRITE_LANES],
      ),
    ).rejects.toThrow(/logs_lane_check/);
    await expect(dataSource.query('SELECT stream_id, lane FROM logs')).resolves.toEqual([
      { stream_id: '6-1', lane: 0 },
    ]);
  });

  it('stores a client event id once, across batches and within one batch', async () => {
    await writer.insert([entry({ streamId: '2-0', eventId: 'retry-me' })]);
    const outcome = await writer.insert([
      entry({ streamId: '2-1', eventId: 'retry-me' }),
      entry({ streamId: '2-2', eventId: 'fresh' }),
      entry({ streamId: '2-3', eventId: 'fresh' }),
    ]);
    expect(outcome).toEqual({ inserted: 1, duplicates: 2 });
    const ids = await dataSource.query('SELECT event_id, stream_id FROM logs ORDER BY stream_id');
    expect(ids).toEqual([
      { event_id: 'retry-me', stream_id: '2-0' },
      { event_id: 'fresh', stream_id: '2-2' },
    ]);
    // That second batch went through the ON CONFLICT path (COPY hit the unique index): same fields.
    const [row] = await dataSource.query(
      `SELECT (extract(epoch FROM ts) * 1000)::bigint::text AS ts_ms, (extract(epoch FROM received_at) * 1000)::bigint::text AS received_ms,
              attributes, tenant FROM logs WHERE stream_id = '2-2'`,
    );
    const sent = entry();
    expect(row).toEqual({
      ts_ms: String(sent.timestamp),
      received_ms: String(sent.receivedAt),
      attributes: sent.attributes,
      tenant: sent.tenant,
    });
  });

  it('keeps event ids apart per tenant: the same id from two tenants is two events', async () => {
    const outcome = await writer.insert([
      entry({ streamId: '4-0', eventId: 'shared-id', tenant: 'acme' }),
      entry({ streamId: '4-1', eventId: 'shared-id', tenant: 'globex' }),
      entry({ streamId: '4-2', eventId: 'shared-id', tenant: 'acme' }),
    ]);
    expect(outcome).toEqual({ inserted: 2, duplicates: 1 });
    const rows = await dataSource.query('SELECT tenant, stream_id FROM logs ORDER BY stream_id');
    expect(rows).toEqual([
      { tenant: 'acme', stream_id: '4-0' },
      { tenant: 'globex', stream_id: '4-1' },
    ]);
  });

  it('creates the read-side indexes, the GIN ones included', async () => {
    const rows: { indexname: string; indexdef: string }[] = await dataSource.query(
      'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname',
      [schema, 'logs'],
    );
    const definitions = new Map(rows.map((row) => [row.indexname, row.indexdef]));
    expect([...definitions.keys()]).toEqual([
      'logs_attributes_idx',
      'logs_message_trgm_lane0_idx',
      'logs_message_trgm_lane1_idx',
      'logs_message_trgm_lane2_idx',
      'logs_pkey',
      'logs_tenant_service_ts_idx',
      'logs_tenant_trace_id_idx',
      'logs_tenant_ts_id_idx',
      'logs_ts_brin_idx',
    ]);
    // Issue 14's diet: the stream position is the primary key (the redelivery key, no separate index);
    // time alone is a BRIN; (service, ts) is gone, (tenant, service, ts) serves it.
    expect(definitions.get('logs_pkey')).toContain('UNIQUE INDEX logs_pkey ON ONLY');
    expect(definitions.get('logs_pkey')).toContain('USING btree (stream_id, ts)');
    expect(definitions.get('logs_ts_brin_idx')).toContain('USING brin (ts)');
    expect(definitions.get('logs_attributes_idx')).toContain('USING gin (attributes jsonb_path_ops)');
    // One trigram index per write lane (write-lanes.ts), each partial.
    for (let lane = 0; lane < LOG_WRITE_LANES; lane++) {
      expect(definitions.get(`logs_message_trgm_lane${lane}_idx`)).toMatch(
        new RegExp(`USING gin \\(message \\S*gin_trgm_ops\\) WHERE \\(lane = ${lane}\\)$`),
      );
    }
    expect(definitions.get('logs_tenant_service_ts_idx')).toContain('(tenant, service, ts) INCLUDE (level)');
  });

  it('reports a value PostgreSQL refuses as a permanent (non-transient) error and writes nothing', async () => {
    let failure: unknown;
    try {
      await writer.insert([
        entry({ streamId: '3-0' }),
        entry({ streamId: '3-1', level: 'verbose' as StoredLogEntry['level'] }),
      ]);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(Error);
    expect(isTransientDatabaseError(failure)).toBe(false);
    await expect(dataSource.query('SELECT count(*)::int AS n FROM logs')).resolves.toEqual([{ n: 0 }]);
  });

  it('upgrades a table written before tenants: its rows become tenant "default" and keep their event ids unique', async () => {
    const legacy = `${schema}_legacy`;
    await dataSource.query(`CREATE SCHEMA "${legacy}"`);
    const old = new DataSource({
      ...createDataSourceOptions({ url: DATABASE_URL, schema: legacy }),
      migrations: LOG_STORE_MIGRATIONS.slice(0, 1),
    });
    await old.initialize();
    try {
      await old.runMigrations();
      await old.query(
        `INSERT INTO logs (ts, received_at, level, service, message, event_id, stream_id) VALUES (now(), now(), 'info', 's', 'before', 'e-1', '1-0')`,
      );
      await old.destroy();
      const upgraded = new DataSource(
        createDataSourceOptions({ url: DATABASE_URL, schema: legacy, migrationsRun: true }),
      );
      await upgraded.initialize();
      try {
        await expect(upgraded.query('SELECT tenant, event_id FROM logs')).resolves.toEqual([
          { tenant: 'default', event_id: 'e-1' },
        ]);
        const outcome = await new LogBatchWriter(upgraded).insert([
          entry({ streamId: '1-1', eventId: 'e-1' }),
          entry({ streamId: '1-2', eventId: 'e-1', tenant: 'acme' }),
        ]);
        expect(outcome).toEqual({ inserted: 1, duplicates: 1 });
      } finally {
        await upgraded.destroy();
      }
    } finally {
      if (old.isInitialized) await old.destroy();
      await dataSource.query(`DROP SCHEMA "${legacy}" CASCADE`);
    }
  });

  it('reports an unreachable database as a transient error', async () => {
    const offline = new DataSource(createDataSourceOptions({ url: 'postgres://postgres@127.0.0.1:1/none' }));
    let failure: unknown;
    try {
      await offline.initialize();
    } catch (error) {
      failure = error;
    }
    expect(isTransientDatabaseError(failure)).toBe(true);
  });
});
