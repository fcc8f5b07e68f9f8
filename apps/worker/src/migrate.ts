// Runs pending migrations of the `logs` table, grants the app roles their access, and exits:
// `node dist/apps/worker/migrate.js` (or `npm run migration:run`). It connects as the owner role
// (MIGRATION_DATABASE_URL, else DATABASE_URL); see docs/operations.md, "Database roles".
import 'reflect-metadata';
import { validateEnvironment } from '@logpipe/app-runtime';
import { createDataSourceOptions, databaseRolesFromEnv, grantLogStoreAccess } from '@logpipe/log-store';
import { DataSource } from 'typeorm';
import { WorkerConfig } from './app/worker.config';

function log(level: string, message: string, extra: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, context: 'migrate', message, ...extra });
  if (level === 'log') console.log(line);
  else console.error(line);
}

async function migrate(): Promise<void> {
  const config = validateEnvironment(WorkerConfig)(process.env);
  const dataSource = new DataSource(
    createDataSourceOptions({
      url: config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL,
      schema: config.DB_SCHEMA,
    }),
  );
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    log('log', 'migrations applied', { applied: applied.map((m) => m.name) });
    const grants = await grantLogStoreAccess(
      dataSource,
      databaseRolesFromEnv({ DB_WRITER_ROLE: config.DB_WRITER_ROLE, DB_READER_ROLE: config.DB_READER_ROLE }),
    );
    log('log', 'role privileges granted', { granted: grants.granted });
    if (grants.missing.length > 0) {
      // Not fatal: a development database without separate roles works with the owner alone.
      log('warn', 'roles not found, nothing granted to them (docs/operations.md, "Database roles")', {
        missing: grants.missing,
      });
    }
  } finally {
    await dataSource.destroy();
  }
}

migrate().catch((error: unknown) => {
  log('fatal', 'migration failed', { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
