import { findFreePortBase, PrivateStack, waitFor } from '@logpipe/e2e-support';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** An entry as POST /api/logs takes it. */
export interface SentEntry {
  timestamp?: string;
  level: string;
  service: string;
  message: string;
  attributes?: Record<string, unknown>;
  trace_id?: string;
  span_id?: string;
  id?: string;
}

/**
 * The whole stack (nginx serving the built console and proxying the API, two ingest instances, worker,
 * Redis, PostgreSQL) on free ports, with two tenants' keys. One per spec file.
 */
export class ConsoleStack {
  readonly keys = {
    acme: `acme-${randomBytes(16).toString('hex')}`,
    globex: `globex-${randomBytes(16).toString('hex')}`,
  };
  private stack!: PrivateStack;
  private db!: Client;

  async start(settings: Record<string, string> = {}): Promise<this> {
    const start = 21000 + Math.floor(Math.random() * 300) * 10;
    this.stack = new PrivateStack(await findFreePortBase(start, 10), {
      API_KEYS: `acme:${this.keys.acme},globex:${this.keys.globex}`,
      // Reads of a million rows in the timing run get the time they need; the default suite never nears it.
      QUERY_TIMEOUT_MS: '20000',
      ...settings,
    });
    this.stack.up();
    this.db = new Client({ connectionString: this.stack.env['DATABASE_URL'] });
    await this.db.connect();
    return this;
  }

  get url(): string {
    return this.stack.env['NGINX_URL'];
  }

  get database(): Client {
    return this.db;
  }

  /** POST /api/logs through nginx as `tenant`. */
  async send(entries: SentEntry[], tenant: keyof ConsoleStack['keys'] = 'acme'): Promise<void> {
    const response = await fetch(`${this.url}/api/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.keys[tenant]}` },
      body: JSON.stringify(entries),
    });
    if (response.status !== 202)
      throw new Error(`POST /api/logs: ${response.status} ${await response.text()}`);
  }

  /** Waits until `tenant` has `count` stored rows. */
  async waitForStored(count: number, tenant = 'acme', timeoutMs = 30000): Promise<void> {
    await waitFor(
      `${count} stored rows of ${tenant}`,
      async () => {
        const { rows } = await this.db.query('SELECT count(*)::int AS n FROM logs WHERE tenant = $1', [
          tenant,
        ]);
        return rows[0].n >= count;
      },
      timeoutMs,
      200,
    );
  }

  /** GET an /api path as `tenant`, JSON. */
  async api<T>(path: string, tenant: keyof ConsoleStack['keys'] = 'acme'): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      headers: { authorization: `Bearer ${this.keys[tenant]}` },
    });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** nginx's JSON access log lines so far. */
  accessLog(): Record<string, unknown>[] {
    return this.stack.accessLog();
  }

  async stop(label: string): Promise<void> {
    await this.db?.end().catch(() => undefined);
    if (this.stack === undefined) return;
    this.stack.saveLogs(label, 'console-logs');
    this.stack.down();
  }
}
