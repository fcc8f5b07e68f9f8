import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { TEST_DATABASE_URL } from './workspace';

/** A schema of its own in the test database, so concurrent suites never see each other's rows. */
export class TestSchema {
  readonly name = `read_e2e_${randomBytes(5).toString('hex')}`;
  readonly pool = new Pool({
    connectionString: TEST_DATABASE_URL,
    max: 2,
    options: `-c search_path=${this.name}`,
  });

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
}
