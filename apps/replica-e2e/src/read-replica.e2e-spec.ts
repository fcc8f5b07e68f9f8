import {
  PrivatePostgres,
  type ServiceProcess,
  sleep,
  startIngest,
  startWorker,
  suiteWorkerEnv,
  TEST_REDIS_URL,
  waitFor,
  workspaceRoot,
} from '@logpipe/e2e-support';
import Redis from 'ioredis';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Pool } from 'pg';

interface ReadDatabase {
  role: 'primary' | 'replica';
  lagSeconds?: number | null;
  maxLagSeconds?: number;
  lagging?: boolean;
}

const MAX_LAG_SECONDS = 1;

/**
 * READ_DATABASE_URL naming a real streaming replica: a private primary (initdb) and a hot standby made
 * from it with `pg_basebackup -R`, both on their own ports. Migrations run on the primary as its owner,
 * the worker writes there as logpipe_writer, and ingest reads from the standby as logpipe_reader (the
 * standby has the role because a physical replica copies the whole cluster). What proves the reads come
 * from the standby: with its replay paused, rows the primary already holds stay invisible to the API
 * until replay resumes; meanwhile readiness and metrics report the growing lag.
 */
describe('read API on a streaming read replica', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `replica-e2e:${suffix}:stream`;
  const deadKey = `replica-e2e:${suffix}:dead`;
  const keys = {
    acme: `acme-${randomBytes(16).toString('hex')}`,
    globex: `globex-${randomBytes(16).toString('hex')}`,
  };
  const redis = new Redis(TEST_REDIS_URL);
  const started: ServiceProcess[] = [];
  const servers: PrivatePostgres[] = [];
  const pools: Pool[] = [];
  let primary: Pool;
  let standby: Pool;
  let ingest: ServiceProcess;

  const post = async (tenant: keyof typeof keys, entries: object[]) => {
    const response = await fetch(`${ingest.url}/api/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[tenant]}` },
      body: JSON.stringify(entries),
    });
    expect(response.status).toBe(202);
  };
  const get = async (tenant: keyof typeof keys, path: string) => {
    const response = await fetch(`${ingest.url}${path}`, {
      headers: { authorization: `Bearer ${keys[tenant]}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };
  const apiCount = async (tenant: keyof typeof keys, query: string) =>
    (await get(tenant, `/api/logs/count?${query}`))['count'] as number;
  const batch = (tenant: string, label: string, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      id: `${tenant}-${label}-${i}-${suffix}`,
      level: 'info',
      service: label,
      message: `${label} entry ${i}`,
    }));
  const primaryCount = async (service: string) =>
    (await primary.query('SELECT count(*)::int AS n FROM logs WHERE service = $1', [service])).rows[0]
      .n as number;
  const readiness = async () => {
    const response = await fetch(`${ingest.url}/health/ready`);
    return { status: response.status, body: (await response.json()) as { readDatabase?: ReadDatabase } };
  };
  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${ingest.url}/metrics`)).text();
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`${name} not in /metrics`);
    return Number(match[1]);
  };

  /**
   * An idle pool client can be told to go away by its server (57P01 "terminating connection due to
   * administrator command" was seen once in CI, on a fresh private cluster): the pool drops that client
   * and the next query opens another. Without a listener the pool's 'error' event would fail the test.
   */
  const watched = (pool: Pool, name: string): Pool => {
    pool.on('error', (error) =>
      console.warn(`replica-e2e: idle ${name} connection closed: ${error.message}`),
    );
    return pool;
  };

  beforeAll(async () => {
    const primaryServer = await PrivatePostgres.create('replica-e2e-primary-');
    servers.push(primaryServer);
    await primaryServer.start();
    primary = new Pool({ connectionString: primaryServer.url, max: 2 });
    pools.push(watched(primary, 'primary'));
    // The roles create-roles.sql makes (deploy/postgres), without passwords: the cluster trusts 127.0.0.1.
    await primary.query('CREATE ROLE logpipe_writer LOGIN BYPASSRLS; CREATE ROLE logpipe_reader LOGIN');
    const migrate = spawnSync(process.execPath, [join(workspaceRoot(), 'dist/apps/worker/migrate.js')], {
      env: {
        PATH: process.env['PATH'] ?? '',
        MIGRATION_DATABASE_URL: primaryServer.url,
        DATABASE_URL: primaryServer.urlAs('logpipe_writer'),
      },
      encoding: 'utf8',
      timeout: 60000,
    });
    if (migrate.status !== 0) throw new Error(`migrate.js failed:\n${migrate.stdout}${migrate.stderr}`);

    // Taken after the migrations: the standby starts with the table, the roles and their grants.
    const standbyServer = await PrivatePostgres.createStandby(primaryServer, 'replica-e2e-standby-');
    servers.push(standbyServer);
    await standbyServer.start();
    standby = new Pool({ connectionString: standbyServer.url, max: 2 });
    pools.push(watched(standby, 'standby'));

    started.push(
      await startWorker(
        'worker-replica-e2e',
        suiteWorkerEnv(
          { streamKey, deadKey, databaseUrl: primaryServer.urlAs('logpipe_writer') },
          { DB_MIGRATE: 'false' },
        ),
      ),
    );
    ingest = await startIngest('ingest-replica-e2e', {
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: streamKey,
      DEAD_LETTER_STREAM: deadKey,
      API_KEYS: `acme:${keys.acme},globex:${keys.globex}`,
      DATABASE_URL: primaryServer.url,
      READ_DATABASE_URL: standbyServer.urlAs('logpipe_reader'),
      READ_REPLICA_MAX_LAG_SECONDS: String(MAX_LAG_SECONDS),
    });
    started.push(ingest);
  }, 180000);

  afterAll(async () => {
    await Promise.all(started.map((service) => service.stop('SIGTERM')));
    await Promise.all(pools.map((pool) => pool.end()));
    // The standby first: a standby whose primary is gone keeps retrying its connection.
    for (const server of servers.reverse()) await server.destroy();
    await redis.del(streamKey, deadKey);
    redis.disconnect();
  }, 60000);

  it('runs a real hot standby of the primary', async () => {
    expect((await standby.query('SELECT pg_is_in_recovery() AS r')).rows[0].r).toBe(true);
    expect((await primary.query('SELECT pg_is_in_recovery() AS r')).rows[0].r).toBe(false);
    // The WAL sender reaches "streaming" once the standby has caught up after its start.
    await waitFor('one standby streaming from the primary', async () => {
      const senders = await primary.query("SELECT state FROM pg_stat_replication WHERE state = 'streaming'");
      return senders.rowCount === 1;
    });
  });

  it('serves searches and counts from the replica, as the reader role, one tenant at a time', async () => {
    await post('acme', batch('acme', 'caught-up', 30));
    await post('globex', batch('globex', 'caught-up', 5));
    await waitFor('35 rows through the worker and the replica', async () =>
      (await apiCount('acme', 'service=caught-up')) === 30 &&
      (await apiCount('globex', 'service=caught-up')) === 5
        ? true
        : false,
    );
    const page = (await get('acme', '/api/logs?service=caught-up&limit=100')) as {
      entries: { id: string }[];
    };
    expect(page.entries).toHaveLength(30);
    expect(page.entries.every((entry) => entry.id.startsWith('acme-'))).toBe(true);

    // The query API's connections are on the standby, as logpipe_reader, and none on the primary.
    const onStandby = await standby.query(
      "SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = 'logpipe-ingest'",
    );
    expect(onStandby.rows).toEqual([{ usename: 'logpipe_reader' }]);
    const onPrimary = await primary.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'logpipe-ingest'",
    );
    expect(onPrimary.rows[0].n).toBe(0);
  });

  it('reports the replica, caught up, in readiness and metrics', async () => {
    const ready = await waitFor('readiness with the replica caught up', async () => {
      const answer = await readiness();
      return answer.body.readDatabase?.lagSeconds === 0 ? answer : null;
    });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      checks: { redis: 'up', postgres: 'up' },
      readDatabase: { role: 'replica', lagSeconds: 0, maxLagSeconds: MAX_LAG_SECONDS, lagging: false },
    });
    expect(await metric('logpipe_read_database_replica')).toBe(1);
    expect(await metric('logpipe_read_replica_lag_seconds')).toBe(0);
  });

  it('shows only what the replica has replayed, and reports its lag while replay is paused', async () => {
    await standby.query('SELECT pg_wal_replay_pause()');
    let resumed = false;
    try {
      await post('acme', batch('acme', 'while-paused', 20));
      // The worker stored them on the primary; the standby received the WAL but does not apply it.
      await waitFor('20 rows on the primary', async () => (await primaryCount('while-paused')) === 20);
      await sleep((MAX_LAG_SECONDS + 0.5) * 1000);
      expect(await apiCount('acme', 'service=while-paused')).toBe(0);
      expect(await apiCount('acme', 'service=caught-up')).toBe(30);

      const ready = await readiness();
      // Lagging is reported, not judged: the instance stays ready and keeps reading from the replica.
      expect(ready.status).toBe(200);
      expect(ready.body.readDatabase).toMatchObject({ role: 'replica', lagging: true });
      expect(ready.body.readDatabase?.lagSeconds).toBeGreaterThan(MAX_LAG_SECONDS);
      expect(await metric('logpipe_read_replica_lag_seconds')).toBeGreaterThan(MAX_LAG_SECONDS);

      await standby.query('SELECT pg_wal_replay_resume()');
      resumed = true;
      await waitFor('the paused rows through the API', async () =>
        (await apiCount('acme', 'service=while-paused')) === 20 ? true : false,
      );
      await waitFor('lag back to 0', async () => (await readiness()).body.readDatabase?.lagSeconds === 0);
      expect(await metric('logpipe_read_replica_lag_seconds')).toBe(0);
    } finally {
      if (!resumed) await standby.query('SELECT pg_wal_replay_resume()');
    }
  });
});
