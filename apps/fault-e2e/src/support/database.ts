import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';

/**
 * The `logs` table of one schema (the worker creates it with DB_MIGRATE=true), read the way the
 * reconciliation needs: which messages of a load are stored, and how often.
 */
export class LogTable {
  readonly pool: Pool;

  constructor(
    connectionString: string,
    readonly schema: string,
  ) {
    this.pool = new Pool({
      connectionString,
      max: 2,
      options: `-c search_path=${schema}`,
      connectionTimeoutMillis: 3000,
    });
    // A private PostgreSQL stopped by a test drops idle pool clients; that is expected, not a crash.
    this.pool.on('error', () => undefined);
  }

  async count(service: string): Promise<number> {
    const { rows } = await this.pool.query('SELECT count(*)::int AS n FROM logs WHERE service = $1', [
      service,
    ]);
    return rows[0].n;
  }

  /** message -> number of rows holding it, for one load's service. */
  async storedMessages(service: string): Promise<Map<string, number>> {
    const { rows } = await this.pool.query(
      'SELECT message, count(*)::int AS n FROM logs WHERE service = $1 GROUP BY message',
      [service],
    );
    return new Map(rows.map((r: { message: string; n: number }) => [r.message, r.n]));
  }

  /**
   * Holds a SHARE lock on `logs` (reads go on, every INSERT waits) until the returned function is
   * called: lets a test kill a worker while it is blocked inside its insert.
   */
  async blockInserts(): Promise<() => Promise<void>> {
    const client = await this.pool.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE logs IN SHARE MODE');
    return async () => {
      await client.query('ROLLBACK');
      client.release();
    };
  }

  /** Writers (INSERT or COPY) waiting right now for a lock on this schema's `logs` (blocked by blockInserts). */
  async insertsWaiting(): Promise<number> {
    const { rows } = await this.pool.query(
      'SELECT count(*)::int AS n FROM pg_locks WHERE relation = $1::regclass AND NOT granted',
      [`${this.schema}.logs`],
    );
    return rows[0].n;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** A schema of its own in the shared test database, so concurrent suites never see each other's rows. */
export class TestSchema extends LogTable {
  constructor(connectionString: string) {
    super(connectionString, `fault_${randomBytes(5).toString('hex')}`);
  }

  async create(): Promise<void> {
    await this.pool.query(`CREATE SCHEMA ${this.schema}`);
  }

  async drop(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    await this.close();
  }
}
