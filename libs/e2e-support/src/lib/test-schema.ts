import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { TEST_DATABASE_URL } from './workspace';

/** A schema of its own in the test database, so concurrent suites never see each other's rows. */
export class TestSchema {
  readonly name: string;
  readonly pool: Pool;

  /** @param prefix names the suite in the schema name, e.g. `read_e2e` gives read_e2e_3f9a1c02b7. */
  constructor(prefix = 'e2e') {
    this.name = `${prefix}_${randomBytes(5).toString('hex')}`;
    this.pool = new Pool({
      connectionString: TEST_DATABASE_URL,
      max: 2,
      options: `-c search_path=${this.name}`,
    });
  }

  async create(): Promise<void> {
    await this.pool.query(`CREATE SCHEMA ${this.name}`);
  }

  async drop(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.name} CASCADE`);
    await this.pool.end();
  }

  async count(where = 'true', params: unknown[] = []): Promise<number> {
    const { rows } = await this.pool.query(`SELECT count(*)::int AS n FROM logs WHERE ${where}`, params);
    return rows[0].n;
  }

  /** message -> rows holding it, for one service: what a delivery check compares by key. */
  async storedMessages(service: string): Promise<Map<string, number>> {
    const { rows } = await this.pool.query(
      'SELECT message, count(*)::int AS n FROM logs WHERE service = $1 GROUP BY message',
      [service],
    );
    return new Map(rows.map((r: { message: string; n: number }) => [r.message, r.n]));
  }

  /** Total rows and distinct stream ids: equal when nothing was stored twice. */
  async tally(): Promise<{ rows: number; distinct: number }> {
    const { rows } = await this.pool.query(
      'SELECT count(*)::int AS rows, count(DISTINCT stream_id)::int AS distinct FROM logs',
    );
    return rows[0];
  }
}
