import { findFreePortBase, PrivateStack, waitFor } from '@logpipe/e2e-support';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';

/** A row of `logs` as the shipper suites compare it. */
export interface StoredRow {
  ts: Date;
  received_at: Date;
  level: string;
  service: string;
  message: string;
  attributes: Record<string, unknown> | null;
  trace_id: string | null;
  span_id: string | null;
  event_id: string | null;
  tenant: string;
  stream_id: string;
}

/**
 * The whole pipeline a shipper talks to (nginx, two ingest instances, worker, Redis, PostgreSQL: the
 * one-command stack on free ports), with two tenants' keys, and the table read back. One per spec file.
 */
export class ShipperStack {
  readonly keys = {
    acme: `acme-${randomBytes(16).toString('hex')}`,
    globex: `globex-${randomBytes(16).toString('hex')}`,
  };
  private stack!: PrivateStack;
  private db!: Client;

  /** `settings`: environment for every process of the stack (BACKLOG_HIGH_WATER, limits, ...). */
  async start(settings: Record<string, string> = {}): Promise<this> {
    // A random start spreads suites run side by side (other worktrees, CI) over the range.
    const start = 19000 + Math.floor(Math.random() * 300) * 10;
    this.stack = new PrivateStack(await findFreePortBase(start, 10), {
      API_KEYS: `acme:${this.keys.acme},globex:${this.keys.globex}`,
      ...settings,
    });
    this.stack.up();
    this.db = new Client({ connectionString: this.stack.env['DATABASE_URL'] });
    await this.db.connect();
    return this;
  }

  /** nginx's URL: every request of the suites goes through it, as a shipper's would. */
  get url(): string {
    return this.stack.env['NGINX_URL'];
  }

  pid(process: 'redis' | 'worker' | 'ingest-1' | 'ingest-2' | 'postgres' | 'nginx'): number {
    return this.stack.pid(process);
  }

  /** Every row of `tenant` whose `where` holds (SQL over the row's columns, with $2… as `params`). */
  async rows(tenant: string, where = 'true', params: unknown[] = []): Promise<StoredRow[]> {
    const result = await this.db.query<StoredRow>(
      `SELECT ts, received_at, level, service, message, attributes, trace_id, span_id, event_id, tenant, stream_id
         FROM logs WHERE tenant = $1 AND (${where}) ORDER BY id`,
      [tenant, ...params],
    );
    return result.rows;
  }

  /**
   * Waits until `tenant` has at least `count` rows matching `where`, then a little longer to see
   * that no more arrive (a duplicate would come with the same batch), and returns them all.
   */
  async waitForRows(
    tenant: string,
    count: number,
    where = 'true',
    params: unknown[] = [],
    timeoutMs = 30000,
  ): Promise<StoredRow[]> {
    await waitFor(
      `${count} rows of ${tenant} where ${where}`,
      async () => (await this.rows(tenant, where, params)).length >= count,
      timeoutMs,
      200,
    );
    await this.drained();
    return this.rows(tenant, where, params);
  }

  /** Until the worker has stored everything queued: the consumer group has nothing pending or unread. */
  async drained(timeoutMs = 30000): Promise<void> {
    const redis = new Redis(this.stack.env['REDIS_URL']);
    try {
      await waitFor(
        'the worker to store everything queued',
        async () => {
          const groups = (await redis.call('XINFO', 'GROUPS', 'logs:stream')) as unknown[][];
          return groups.every((group) => {
            const field = (name: string) => group[group.indexOf(name) + 1];
            return Number(field('pending')) === 0 && Number(field('lag') ?? 0) === 0;
          });
        },
        timeoutMs,
        200,
      );
    } finally {
      redis.disconnect();
    }
  }

  /** Copies the processes' logs to tmp/shippers-logs/<label> for a failed run, then stops everything. */
  async stop(label: string): Promise<void> {
    await this.db?.end().catch(() => undefined);
    if (this.stack === undefined) return;
    this.stack.saveLogs(label, 'shippers-logs');
    this.stack.down();
  }
}
