import 'reflect-metadata';
import {
  createDataSourceOptions,
  grantLogStoreAccess,
  isTransientDatabaseError,
  listLogPartitionFill,
  LogBatchWriter,
  type StoredLogEntry,
} from '@logpipe/log-store';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { parseLogQuery } from './log-query.parser';
import { LogQueryService } from './log-query.service';

const DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The test database's URL, connecting as `role` (the shared cluster trusts local connections). */
function urlAs(role: string): string {
  const url = new URL(DATABASE_URL);
  url.username = role;
  url.password = '';
  return url.toString();
}

function entry(tenant: string, n: number): StoredLogEntry {
  return {
    timestamp: Date.UTC(2026, 10, 26, 10, 0, n),
    receivedAt: Date.UTC(2026, 10, 26, 10, 0, n),
    level: 'info',
    service: 'checkout',
    message: `${tenant} entry ${n}`,
    attributes: null,
    traceId: null,
    spanId: null,
    eventId: `e${n}`,
    tenant,
    streamId: `1764151200000-${tenant === 'acme' ? n : 100 + n}`,
  };
}

/** SQLSTATE of the error `run` fails with (null when it does not fail). */
async function sqlstateOf(run: () => Promise<unknown>): Promise<string | null> {
  try {
    await run();
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('database roles and row-level security on logs (real PostgreSQL)', () => {
  const suffix = randomBytes(4).toString('hex');
  const schema = `test_roles_${suffix}`;
  // Roles are cluster-wide: names of this run's own, dropped at the end.
  const roles = { writer: `test_writer_${suffix}`, reader: `test_reader_${suffix}` };
  const writerWithoutBypass = `test_norls_${suffix}`;
  let owner: DataSource;
  const clients: Client[] = [];
  const dataSources: DataSource[] = [];

  async function connect(role: string, tenant?: string): Promise<Client> {
    const client = new Client({ connectionString: urlAs(role), options: `-c search_path=${schema}` });
    await client.connect();
    clients.push(client);
    if (tenant !== undefined) await client.query(`SELECT set_config('logpipe.tenant', $1, false)`, [tenant]);
    return client;
  }

  async function writerFor(role: string): Promise<LogBatchWriter> {
    const dataSource = new DataSource(createDataSourceOptions({ url: urlAs(role), schema, poolSize: 1 }));
    await dataSource.initialize();
    dataSources.push(dataSource);
    return new LogBatchWriter(dataSource);
  }

  beforeAll(async () => {
    const admin = new Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    // As deploy/postgres/create-roles.sql makes them: the writer BYPASSRLS, the reader not.
    await admin.query(`CREATE ROLE ${roles.writer} LOGIN BYPASSRLS`);
    await admin.query(`CREATE ROLE ${roles.reader} LOGIN`);
    await admin.query(`CREATE ROLE ${writerWithoutBypass} LOGIN`);
    await admin.end();
    owner = new DataSource(createDataSourceOptions({ url: DATABASE_URL, schema, migrationsRun: true }));
    await owner.initialize();
    expect(await grantLogStoreAccess(owner, roles)).toEqual({
      granted: [roles.writer, roles.reader],
      missing: [],
    });
    await grantLogStoreAccess(owner, { writer: writerWithoutBypass, reader: null });
    const writer = await writerFor(roles.writer);
    await writer.insert([1, 2, 3].map((n) => entry('acme', n)));
    await writer.insert([1, 2].map((n) => entry('globex', n)));
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end()));
    await Promise.all(dataSources.map((dataSource) => dataSource.destroy()));
    await owner.query(`DROP SCHEMA ${schema} CASCADE`);
    for (const role of [roles.writer, roles.reader, writerWithoutBypass]) {
      await owner.query(`DROP OWNED BY ${role}`);
      await owner.query(`DROP ROLE ${role}`);
    }
    await owner.destroy();
  });

  it('the writer stores every tenant (COPY, and INSERT ... ON CONFLICT for a redelivery)', async () => {
    const writer = await writerFor(roles.writer);
    expect(await writer.insert([entry('acme', 3), entry('acme', 4)])).toEqual({ inserted: 1, duplicates: 1 });
    // The owner (the migrations' role) is not subject to RLS either: it sees every tenant.
    const rows: { tenant: string; n: number }[] = await owner.query(
      `SELECT tenant, count(*)::int AS n FROM logs GROUP BY tenant ORDER BY tenant`,
    );
    expect(rows).toEqual([
      { tenant: 'acme', n: 4 },
      { tenant: 'globex', n: 2 },
    ]);
  });

  it('the writer cannot drop, alter, update, delete or truncate the table', async () => {
    const writer = await connect(roles.writer);
    expect(await sqlstateOf(() => writer.query('DROP TABLE logs'))).toBe('42501');
    expect(await sqlstateOf(() => writer.query('ALTER TABLE logs ADD COLUMN x int'))).toBe('42501');
    expect(await sqlstateOf(() => writer.query(`UPDATE logs SET message = 'x'`))).toBe('42501');
    expect(await sqlstateOf(() => writer.query('DELETE FROM logs'))).toBe('42501');
    expect(await sqlstateOf(() => writer.query('TRUNCATE logs'))).toBe('42501');
  });

  it("the writer creates and drops partitions only through the owner's functions; the reader cannot call them", async () => {
    // A day long before the other tests' rows: dropping "everything older than" it drops only it.
    const writer = await connect(roles.writer);
    const created = await writer.query(
      `SELECT logpipe_create_log_partitions('2001-01-01T00:00Z', '2001-01-02T00:00Z', '1 day') AS name`,
    );
    expect(created.rows).toHaveLength(1);
    const name = (created.rows[0] as { name: string }).name;
    expect(await sqlstateOf(() => writer.query(`DROP TABLE ${name}`))).toBe('42501');
    // Its day has ended: the writer hands it back to insert-driven autovacuum, which it may not do itself.
    expect(
      await sqlstateOf(() => writer.query(`ALTER TABLE ${name} RESET (autovacuum_vacuum_insert_threshold)`)),
    ).toBe('42501');
    const resumed = await writer.query(`SELECT logpipe_resume_insert_vacuum('2001-01-03T00:00Z') AS name`);
    expect(resumed.rows.map((row: { name: string }) => row.name)).toEqual([name]);
    // The job reads every partition's insert count and hold with no privilege beyond the listing function ...
    const fill = await listLogPartitionFill({ query: async (sql) => (await writer.query(sql)).rows });
    expect(fill).toContainEqual(expect.objectContaining({ name, held: false, rowsInserted: 0 }));
    // ... and holds it again, as it does while a backfill fills an ended partition.
    const held = await writer.query(`SELECT logpipe_set_insert_vacuum_hold($1, true) AS name`, [[name]]);
    expect(held.rows.map((row: { name: string }) => row.name)).toEqual([name]);
    await writer.query(`SELECT logpipe_summarize_open_log_partitions()`);
    const dropped = await writer.query(`SELECT logpipe_drop_log_partitions('2001-01-03T00:00Z') AS name`);
    expect(dropped.rows.map((row: { name: string }) => row.name)).toEqual([name]);
    const reader = await connect(roles.reader, 'acme');
    expect(
      await sqlstateOf(() =>
        reader.query(
          `SELECT logpipe_create_log_partitions('2001-02-01T00:00Z', '2001-02-02T00:00Z', '1 day')`,
        ),
      ),
    ).toBe('42501');
    expect(await sqlstateOf(() => reader.query(`SELECT logpipe_drop_log_partitions(now())`))).toBe('42501');
    expect(await sqlstateOf(() => reader.query(`SELECT logpipe_resume_insert_vacuum(now())`))).toBe('42501');
    expect(
      await sqlstateOf(() => reader.query(`SELECT logpipe_set_insert_vacuum_hold(ARRAY[]::text[], true)`)),
    ).toBe('42501');
    expect(await sqlstateOf(() => reader.query(`SELECT logpipe_summarize_open_log_partitions()`))).toBe(
      '42501',
    );
  });

  it("the query API's role cannot INSERT, UPDATE or DELETE, even rows of its own tenant", async () => {
    const reader = await connect(roles.reader, 'acme');
    const insert = `INSERT INTO logs (ts, received_at, level, service, message, stream_id, tenant)
                    VALUES (now(), now(), 'info', 's', 'm', '1-1', 'acme')`;
    expect(await sqlstateOf(() => reader.query(insert))).toBe('42501');
    expect(await sqlstateOf(() => reader.query(`UPDATE logs SET message = 'x' WHERE tenant = 'acme'`))).toBe(
      '42501',
    );
    expect(await sqlstateOf(() => reader.query(`DELETE FROM logs WHERE tenant = 'acme'`))).toBe('42501');
    expect(await sqlstateOf(() => reader.query('TRUNCATE logs'))).toBe('42501');
  });

  it("with RLS a session set to one tenant sees none of another tenant's rows, even without a tenant filter", async () => {
    const acme = await connect(roles.reader, 'acme');
    const all = await acme.query('SELECT tenant, message FROM logs ORDER BY ts');
    expect(all.rows.map((row) => row.tenant)).toEqual(['acme', 'acme', 'acme', 'acme']);
    const asked = await acme.query(`SELECT count(*)::int AS n FROM logs WHERE tenant = 'globex'`);
    expect(asked.rows[0].n).toBe(0);
    const globex = await connect(roles.reader, 'globex');
    expect((await globex.query('SELECT count(*)::int AS n FROM logs')).rows[0].n).toBe(2);
    const unset = await connect(roles.reader);
    expect((await unset.query('SELECT count(*)::int AS n FROM logs')).rows[0].n).toBe(0);
  });

  it('LogQueryService connected as the reader sets the tenant per query and reads through RLS', async () => {
    const service = new LogQueryService({
      url: urlAs(roles.reader),
      schema,
      poolSize: 1,
      statementTimeoutMs: 5000,
    });
    try {
      const filter = parseLogQuery({}, 'filter');
      const search = parseLogQuery({}, 'search');
      if (!filter.ok || !search.ok) throw new Error('the empty query must parse');
      expect(await service.count('acme', filter.value)).toBe(4);
      expect(await service.count('globex', filter.value)).toBe(2);
      const page = await service.search('globex', search.value);
      expect(page.entries.map((view) => view.message)).toEqual(['globex entry 2', 'globex entry 1']);
      // SET LOCAL ends with its transaction: the pooled connection (poolSize 1) carries no tenant into the next.
      expect(await service.count('nobody', filter.value)).toBe(0);
    } finally {
      await service.onApplicationShutdown();
    }
  });

  it('a writer role without BYPASSRLS fails as "keep and retry", never as bad entries to dead-letter', async () => {
    const writer = await writerFor(writerWithoutBypass);
    let failure: unknown;
    try {
      await writer.insert([entry('acme', 9)]);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeDefined();
    expect(isTransientDatabaseError(failure)).toBe(true);
  });
});
