import { DataSource } from 'typeorm';
import { createDataSourceOptions } from '../data-source-options';

/**
 * A DataSource on a new schema of its own in `url`'s database, built by the real migrations, so a suite
 * never sees another's rows. The caller destroys it and drops the schema.
 */
export async function openMigratedSchema(url: string, schema: string): Promise<DataSource> {
  const admin = new DataSource({ type: 'postgres', url });
  await admin.initialize();
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await admin.destroy();
  }
  const dataSource = new DataSource(createDataSourceOptions({ url, schema, migrationsRun: true }));
  await dataSource.initialize();
  return dataSource;
}
