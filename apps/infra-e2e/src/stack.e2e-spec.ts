import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { findFreePortBase, isProcessAlive } from '@logpipe/e2e-support';
import { loadStoreSettings } from './support/compose-file';
import { pollUntil } from './support/poll';
import { describeFailure, runStackCli } from './support/stack-cli';

// `npm run stack` end to end: the real apps (built by this target's dependsOn, so the stack's own
// Nx build is a cache hit), a private Redis and PostgreSQL, and nginx, all from tools/stack/cli.mjs.

const PROCESSES = ['redis', 'postgres', 'ingest-1', 'ingest-2', 'worker', 'nginx'];

interface StatusReport {
  allUp: boolean;
  services: { name: string; state: string; pid: number | null; healthy: boolean }[];
}

describe('npm run stack (tools/stack/cli.mjs)', () => {
  let stateDir: string;
  let portBase: number;
  let env: Record<string, string>;
  let pidsAtStart: Record<string, number>;

  const stack = (...args: string[]) => [...args, '--state-dir', stateDir];
  const readPids = () =>
    Object.fromEntries(
      readdirSync(join(stateDir, 'pids')).map((file) => [
        file.replace(/\.pid$/, ''),
        Number(readFileSync(join(stateDir, 'pids', file), 'utf8')),
      ]),
    );
  const status = (): { code: number | null; report: StatusReport } => {
    const result = runStackCli(stack('status', '--json'));
    return { code: result.status, report: JSON.parse(result.stdout) as StatusReport };
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'logpipe-stack-e2e-'));
    portBase = await findFreePortBase(18100);
  });

  afterAll(() => {
    // Whatever happened above, leave no process or data behind.
    if (stateDir !== undefined) {
      runStackCli(stack('down', '--purge'), { timeoutMs: 120000 });
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  // --skip-install: this test runs from node_modules, so it must never trigger `npm ci` under itself;
  // installing packages is the CI script's job on a fresh machine.
  it('up --detach starts every process and returns once all are healthy', () => {
    const result = runStackCli(
      stack('up', '--detach', '--skip-install', '--port-base', String(portBase), '--timeout', '90'),
      {
        timeoutMs: 170000,
      },
    );
    if (result.status !== 0) throw new Error(describeFailure('stack up', result));
    pidsAtStart = readPids();
    expect(Object.keys(pidsAtStart).sort()).toEqual([...PROCESSES].sort());
    for (const pid of Object.values(pidsAtStart)) expect(isProcessAlive(pid)).toBe(true);
  });

  it('writes an env file that bash can source, naming its own ports', () => {
    const sourced = spawnSync(
      'bash',
      [
        '-c',
        'set -a; . "$1"; printf "%s\\n" "$NGINX_URL" "$INGEST_1_URL" "$INGEST_2_URL" "$WORKER_HEALTH_URL" "$REDIS_URL" "$DATABASE_URL"',
        'bash',
        join(stateDir, 'env'),
      ],
      { encoding: 'utf8', env: {} },
    );
    expect(sourced.status).toBe(0);
    const [nginxUrl, ingest1, ingest2, workerHealth, redisUrl, databaseUrl] = sourced.stdout
      .trim()
      .split('\n');
    expect({ nginxUrl, ingest1, ingest2, workerHealth, redisUrl, databaseUrl }).toEqual({
      nginxUrl: `http://127.0.0.1:${portBase}`,
      ingest1: `http://127.0.0.1:${portBase + 1}`,
      ingest2: `http://127.0.0.1:${portBase + 2}`,
      workerHealth: `http://127.0.0.1:${portBase + 3}`,
      redisUrl: `redis://127.0.0.1:${portBase + 4}`,
      databaseUrl: `postgres://postgres@127.0.0.1:${portBase + 5}/logpipe`,
    });
    env = { NGINX_URL: nginxUrl, REDIS_URL: redisUrl, DATABASE_URL: databaseUrl };
  });

  it('carries a log POSTed to its nginx into its PostgreSQL', async () => {
    const message = `infra-e2e ${randomUUID()}`;
    const response = await fetch(`${env.NGINX_URL}/api/log`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'infra-e2e-1' },
      body: JSON.stringify({ level: 'info', service: 'infra-e2e', message }),
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('x-request-id')).toBe('infra-e2e-1');
    expect(['ingest-1', 'ingest-2']).toContain(response.headers.get('x-logpipe-instance'));

    const client = new Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      const rows = await pollUntil('the entry in PostgreSQL', async () => {
        const result = await client.query('SELECT level, service, message FROM logs WHERE message = $1', [
          message,
        ]);
        return result.rows.length > 0 ? result.rows : undefined;
      });
      expect(rows).toEqual([{ level: 'info', service: 'infra-e2e', message }]);
    } finally {
      await client.end();
    }
  });

  it('finds a stored message in another case, letters beyond ASCII included, as `q=` searches', async () => {
    const tag = randomUUID();
    const response = await fetch(`${env.NGINX_URL}/api/log`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ level: 'info', service: 'infra-e2e', message: `ÉCOLE MÜLLER ${tag}` }),
    });
    expect(response.status).toBe(202);
    const client = new Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      const found = await pollUntil('the entry found by ILIKE in lower case', async () => {
        const result = await client.query<{ message: string }>(
          'SELECT message FROM logs WHERE message ILIKE $1 AND message ILIKE $2',
          [`%école müller%`, `%${tag}%`],
        );
        return result.rows.length > 0 ? result.rows : undefined;
      });
      expect(found).toEqual([{ message: `ÉCOLE MÜLLER ${tag}` }]);
      const locale = await client.query<{ collate: string; ctype: string }>(
        "SELECT current_setting('lc_collate') AS collate, current_setting('lc_ctype') AS ctype",
      );
      expect(locale.rows).toEqual([{ collate: 'C', ctype: 'C.UTF-8' }]);
    } finally {
      await client.end();
    }
  });

  it("runs its PostgreSQL with deploy/postgres/logpipe.conf's settings", async () => {
    const settings = loadStoreSettings();
    expect(settings.length).toBeGreaterThan(0);
    const client = new Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      for (const [name, value] of settings) {
        const result = await client.query<{ setting: string }>('SELECT current_setting($1) AS setting', [
          name,
        ]);
        expect({ name, value: result.rows[0].setting }).toEqual({ name, value });
      }
    } finally {
      await client.end();
    }
  });

  it('runs its Redis with AOF fsynced every second, no RDB snapshots and rewrites every 512 MB', () => {
    const config = spawnSync(
      'redis-cli',
      [
        '-u',
        env.REDIS_URL,
        'CONFIG',
        'GET',
        'appendonly',
        'appendfsync',
        'save',
        'auto-aof-rewrite-min-size',
      ],
      { encoding: 'utf8' },
    );
    expect(config.status).toBe(0);
    const lines = config.stdout.split('\n').slice(0, 8);
    const settings = Object.fromEntries(
      Array.from({ length: lines.length / 2 }, (_, i) => [lines[2 * i], lines[2 * i + 1]]),
    );
    expect(settings).toEqual({
      appendonly: 'yes',
      appendfsync: 'everysec',
      save: '',
      'auto-aof-rewrite-min-size': String(512 * 1024 * 1024),
    });
  });

  it('runs each app as its own database role: migrations as the owner, the worker as the writer, the query API as the reader', async () => {
    const sourced = spawnSync(
      'bash',
      [
        '-c',
        'set -a; . "$1"; printf "%s\\n" "$MIGRATION_DATABASE_URL" "$WORKER_DATABASE_URL" "$READ_DATABASE_URL"',
        'bash',
        join(stateDir, 'env'),
      ],
      { encoding: 'utf8', env: {} },
    );
    const [migrationUrl, workerUrl, readUrl] = sourced.stdout.trim().split('\n');
    const database = `127.0.0.1:${portBase + 5}/logpipe`;
    expect({ migrationUrl, workerUrl, readUrl }).toEqual({
      migrationUrl: `postgres://logpipe_owner@${database}`,
      workerUrl: `postgres://logpipe_writer@${database}`,
      readUrl: `postgres://logpipe_reader@${database}`,
    });
    const sqlstateOf = async (url: string, sql: string): Promise<string | null> => {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(sql);
        return null;
      } catch (error) {
        return (error as { code?: string }).code ?? String(error);
      } finally {
        await client.end();
      }
    };
    const admin = new Client({ connectionString: env.DATABASE_URL });
    await admin.connect();
    try {
      const owner = await admin.query(
        `SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'logs'`,
      );
      expect(owner.rows).toEqual([{ tableowner: 'logpipe_owner' }]);
      // The apps' own connections, by the application_name each sets.
      const sessions = await pollUntil('the apps connected to PostgreSQL', async () => {
        // A readiness probe makes each ingest instance's read pool open its (lazy) connection.
        await fetch(`${env.NGINX_URL}/health/ready`);
        const result = await admin.query(
          `SELECT DISTINCT application_name AS app, usename AS role FROM pg_stat_activity
            WHERE application_name IN ('logpipe-worker', 'logpipe-ingest') ORDER BY 1`,
        );
        return result.rows.length === 2 ? result.rows : undefined;
      });
      expect(sessions).toEqual([
        { app: 'logpipe-ingest', role: 'logpipe_reader' },
        { app: 'logpipe-worker', role: 'logpipe_writer' },
      ]);
    } finally {
      await admin.end();
    }
    const insert = `INSERT INTO logs (ts, received_at, level, service, message, stream_id, tenant)
                    VALUES (now(), now(), 'info', 's', 'm', '1-1', 'default')`;
    expect(await sqlstateOf(readUrl, insert)).toBe('42501');
    expect(await sqlstateOf(readUrl, `DELETE FROM logs`)).toBe('42501');
    expect(await sqlstateOf(workerUrl, 'DROP TABLE logs')).toBe('42501');
    // Through the API, the reader still finds the entry stored above (tenant "default": no keys here).
    const page = await fetch(`${env.NGINX_URL}/api/logs?service=infra-e2e`);
    expect(page.status).toBe(200);
    expect(((await page.json()) as { entries: unknown[] }).entries.length).toBeGreaterThan(0);
  });

  it('status reports every process running and healthy, and exits 0', () => {
    const { code, report } = status();
    expect(code).toBe(0);
    expect(report.allUp).toBe(true);
    expect(report.services.map(({ name, state, pid, healthy }) => ({ name, state, pid, healthy }))).toEqual(
      PROCESSES.map((name) => ({ name, state: 'running', pid: pidsAtStart[name], healthy: true })),
    );
  });

  it('status reports a killed ingest instance dead and exits non-zero, while nginx routes around it', async () => {
    const victim = pidsAtStart['ingest-1'];
    process.kill(victim, 'SIGKILL');
    await pollUntil('ingest-1 to die', () => (isProcessAlive(victim) ? undefined : true), {
      timeoutMs: 10000,
      intervalMs: 50,
    });

    const { code, report } = status();
    expect(code).not.toBe(0);
    expect(report.allUp).toBe(false);
    expect(report.services.find((service) => service.name === 'ingest-1')).toMatchObject({
      state: 'dead',
      pid: victim,
      healthy: false,
    });
    expect(
      report.services.filter((service) => service.state !== 'running').map((service) => service.name),
    ).toEqual(['ingest-1']);

    const response = await fetch(`${env.NGINX_URL}/api/log`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        level: 'warn',
        service: 'infra-e2e',
        message: `while ingest-1 is down ${randomUUID()}`,
      }),
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('x-logpipe-instance')).toBe('ingest-2');
  });

  it('up --detach again restarts only the dead instance', () => {
    const result = runStackCli(
      stack('up', '--detach', '--skip-install', '--port-base', String(portBase), '--timeout', '90'),
      {
        timeoutMs: 170000,
      },
    );
    if (result.status !== 0) throw new Error(describeFailure('second stack up', result));
    const pids = readPids();
    const changed = PROCESSES.filter((name) => pids[name] !== pidsAtStart[name]);
    expect(changed).toEqual(['ingest-1']);
    expect(isProcessAlive(pids['ingest-1'])).toBe(true);
    expect(status().code).toBe(0);
    pidsAtStart = pids;
  });

  it('down stops every process its pid files named and keeps the data', () => {
    const pids = Object.values(readPids());
    const result = runStackCli(stack('down'), { timeoutMs: 120000 });
    if (result.status !== 0) throw new Error(describeFailure('stack down', result));
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect(readdirSync(join(stateDir, 'pids'))).toEqual([]);
    expect(readdirSync(join(stateDir, 'data')).sort()).toEqual(['postgres', 'redis']);
    expect(status().code).not.toBe(0);
  });
});
