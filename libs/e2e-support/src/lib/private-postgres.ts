import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './ports';
import { sleep, waitFor } from './workspace';

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    : [];
  if (versions.length === 0)
    throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin');
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

/** PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` OS user. */
function clusterOwner(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const result = spawnSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' });
  const fields = result.stdout.trim().split(':');
  if (result.status !== 0 || fields.length < 4)
    throw new Error('running as root needs the OS user "postgres"');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/**
 * A throw-away PostgreSQL cluster (initdb in a temp dir under /tmp, its own port on 127.0.0.1, trust
 * auth) for tests that stop and restart the database, or that need a streaming replica of it
 * (createStandby). Only its own postmaster is ever signalled, by PID; the shared PostgreSQL on 5432 is
 * never touched.
 */
export class PrivatePostgres {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private readonly output: string[] = [];

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly owner: { uid: number; gid: number } | null,
  ) {}

  /**
   * A new cluster, not started. initdb's defaults already make it a primary a standby can stream from:
   * wal_level=replica, max_wal_senders=10, and (with --auth=trust) a `host replication all 127.0.0.1/32
   * trust` line in pg_hba.conf.
   */
  static async create(prefix = 'e2e-pg-'): Promise<PrivatePostgres> {
    const server = await PrivatePostgres.allocate(prefix);
    const initdb = server.runAsOwner('initdb', [
      '-D',
      server.dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      // As tools/stack's cluster: byte-order collation, Unicode case folding (what `q=` relies on).
      '--locale=C',
      '--lc-ctype=C.UTF-8',
      '--no-sync',
    ]);
    if (initdb.status !== 0) {
      rmSync(server.dir, { recursive: true, force: true });
      throw new Error(`initdb failed (${initdb.status}): ${initdb.stderr}`);
    }
    return server;
  }

  /**
   * A hot standby of `primary` (which must be running), not started: `pg_basebackup -R` copies its data
   * folder, roles included, and writes standby.signal and primary_conninfo, so once started it streams
   * and replays the primary's WAL and takes read-only queries.
   */
  static async createStandby(primary: PrivatePostgres, prefix = 'e2e-pg-standby-'): Promise<PrivatePostgres> {
    const server = await PrivatePostgres.allocate(prefix);
    const backup = server.runAsOwner('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      server.dataDir,
      '-R',
      '-X',
      'stream',
      '--checkpoint=fast',
      '--no-sync',
    ]);
    if (backup.status !== 0) {
      rmSync(server.dir, { recursive: true, force: true });
      throw new Error(`pg_basebackup failed (${backup.status}): ${backup.stderr}`);
    }
    return server;
  }

  private static async allocate(prefix: string): Promise<PrivatePostgres> {
    const owner = clusterOwner();
    const dir = mkdtempSync(join(tmpdir(), prefix));
    if (owner) chownSync(dir, owner.uid, owner.gid);
    return new PrivatePostgres(dir, await freePort(), owner);
  }

  private runAsOwner(binary: string, args: string[]) {
    return spawnSync(join(postgresBinDir(), binary), args, {
      cwd: this.dir,
      encoding: 'utf8',
      timeout: 60000,
      ...(this.owner ?? {}),
    });
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get url(): string {
    return this.urlAs('postgres');
  }

  /** The `postgres` database's URL, connecting as `role` (the cluster trusts 127.0.0.1). */
  urlAs(role: string): string {
    return `postgres://${role}@127.0.0.1:${this.port}/postgres`;
  }

  get pid(): number | undefined {
    return this.isRunning ? this.child?.pid : undefined;
  }

  get isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  logs(): string {
    return this.output.join('');
  }

  /** Starts the postmaster (again, on the same port and data) and waits until it takes queries. */
  async start(): Promise<void> {
    if (this.isRunning) throw new Error('private PostgreSQL is already running');
    const child = spawn(
      join(postgresBinDir(), 'postgres'),
      // The socket lives in the cluster's own dir; fsync off: a test cluster need not survive a power cut.
      [
        '-D',
        this.dataDir,
        '-p',
        String(this.port),
        '-k',
        this.dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'max_connections=40',
      ],
      { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'], ...(this.owner ?? {}) },
    );
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitFor(
      `private PostgreSQL on port ${this.port}`,
      async () => {
        if (!this.isRunning) throw new Error(`postgres exited: ${this.logs().slice(-1500)}`);
        const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      30000,
      100,
    );
  }

  /**
   * Stops the postmaster by PID and waits for it: SIGINT is PostgreSQL's "fast" shutdown (sessions
   * are cut, clean checkpoint), SIGQUIT its "immediate" one (no checkpoint: crash recovery at the
   * next start), SIGKILL a last resort.
   */
  async stop(signal: 'SIGINT' | 'SIGQUIT' | 'SIGKILL' = 'SIGINT', timeoutMs = 30000): Promise<void> {
    const child = this.child;
    if (!child || !this.isRunning) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    if (signal === 'SIGKILL') {
      // The postmaster's backends notice its death on their own; give them a moment to go, or the
      // next start finds the shared memory still attached.
      await sleep(500);
    }
  }

  async destroy(): Promise<void> {
    await this.stop('SIGINT', 15000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
