// Runs pending migrations of the `logs` table and exits: `node dist/apps/worker/migrate.js`
// (or `npm run migration:run`). The worker does the same at start when DB_MIGRATE=true.
import 'reflect-metadata';
import { createDataSourceOptions } from '@logpipe/log-store';
import { DataSource } from 'typeorm';

async function migrate(): Promise<void> {
  const dataSource = new DataSource(
    createDataSourceOptions({
      url: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      schema: process.env['DB_SCHEMA'] ?? 'public',
    }),
  );
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    console.log(
      JSON.stringify({
        level: 'log',
        context: 'migrate',
        message: 'migrations applied',
        applied: applied.map((m) => m.name),
      }),
    );
  } finally {
    await dataSource.destroy();
  }
}

migrate().catch((error: unknown) => {
  console.error(
    JSON.stringify({
      level: 'fatal',
      context: 'migrate',
      message: 'migration failed',
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  process.exit(1);
});
