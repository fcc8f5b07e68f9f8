import type { DataSource } from 'typeorm';

/**
 * The roles the apps connect as, besides the owner that runs the migrations (docs/operations.md,
 * "Database roles"). The roles themselves are created outside the migrations, by the stack, the compose
 * init script or deploy/postgres/create-roles.sql: they are cluster-wide, carry passwords, and the
 * writer needs BYPASSRLS, which only a superuser can give. What they may do on `logs` is granted here,
 * by the owner, after every migration run, so it follows the table through migrations that replace it.
 */
export interface DatabaseRoles {
  /** The worker's role: SELECT and INSERT on `logs`. null: none. */
  writer: string | null;
  /** The query API's role: SELECT on `logs`, under row-level security. null: none. */
  reader: string | null;
}

export const DEFAULT_DATABASE_ROLES: DatabaseRoles = { writer: 'logpipe_writer', reader: 'logpipe_reader' };

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * DB_WRITER_ROLE and DB_READER_ROLE (defaults logpipe_writer, logpipe_reader; empty: no such role).
 * Throws naming the variable when a name is not a plain lower-case SQL identifier.
 */
export function databaseRolesFromEnv(env: Record<string, string | undefined>): DatabaseRoles {
  const read = (name: string, fallback: string | null): string | null => {
    const value = env[name];
    if (value === undefined) return fallback;
    if (value === '') return null;
    if (!ROLE_NAME.test(value)) {
      throw new Error(
        `${name} must be a plain lower-case SQL identifier (or empty for none), got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  return {
    writer: read('DB_WRITER_ROLE', DEFAULT_DATABASE_ROLES.writer),
    reader: read('DB_READER_ROLE', DEFAULT_DATABASE_ROLES.reader),
  };
}

export interface GrantOutcome {
  granted: string[];
  /** Named roles that do not exist in this cluster (nothing granted to them). */
  missing: string[];
}

/**
 * Grants the writer SELECT, INSERT and the reader SELECT on the `logs` of the data source's schema, plus
 * USAGE on that schema; nothing else (no UPDATE, DELETE, TRUNCATE, and only the owner can ALTER or DROP).
 * Idempotent. A role that does not exist is reported in `missing`, not created.
 */
export async function grantLogStoreAccess(
  dataSource: DataSource,
  roles: DatabaseRoles,
): Promise<GrantOutcome> {
  const outcome: GrantOutcome = { granted: [], missing: [] };
  for (const role of [roles.writer, roles.reader]) {
    if (role !== null && !ROLE_NAME.test(role))
      throw new Error(`not a plain role name: ${JSON.stringify(role)}`);
  }
  const [{ schema }]: { schema: string }[] = await dataSource.query('SELECT current_schema() AS schema');
  const quotedSchema = `"${schema.replace(/"/g, '""')}"`;
  const grants: [string | null, string][] = [
    [roles.writer, 'SELECT, INSERT'],
    [roles.reader, 'SELECT'],
  ];
  for (const [role, privileges] of grants) {
    if (role === null) continue;
    const rows: unknown[] = await dataSource.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (rows.length === 0) {
      outcome.missing.push(role);
      continue;
    }
    // Role names match ROLE_NAME (checked above), so quoting them as identifiers is safe.
    await dataSource.query(`GRANT USAGE ON SCHEMA ${quotedSchema} TO "${role}"`);
    await dataSource.query(`GRANT ${privileges} ON TABLE logs TO "${role}"`);
    if (role === roles.writer) await grantWriterMaintenance(dataSource, role);
    // The console's histogram reads the rollup (row-level security on tenant, as on logs).
    if (role === roles.reader) await dataSource.query(`GRANT SELECT ON TABLE log_counts TO "${role}"`);
    outcome.granted.push(role);
  }
  return outcome;
}

/**
 * What the worker needs beyond `logs`: the event-id table it claims ids in (INSERT, and SELECT for
 * the RETURNING of the claim), and EXECUTE on the partition functions (create ahead, drop past
 * retention, per-tenant deletes), which run as their owner (SECURITY DEFINER) because only the owner
 * may change `logs`. Their EXECUTE is revoked from PUBLIC by the migration that creates them.
 */
async function grantWriterMaintenance(dataSource: DataSource, role: string): Promise<void> {
  await dataSource.query(`GRANT SELECT, INSERT ON TABLE log_event_ids TO "${role}"`);
  const functions: { signature: string }[] = await dataSource.query(
    `SELECT p.oid::regprocedure::text AS signature
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = current_schema() AND p.proname LIKE 'logpipe\\_%'`,
  );
  for (const { signature } of functions) {
    await dataSource.query(`GRANT EXECUTE ON FUNCTION ${signature} TO "${role}"`);
  }
}
