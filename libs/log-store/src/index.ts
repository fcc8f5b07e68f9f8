// Public API of @logpipe/log-store: the `logs` table (entity, migrations, DataSource) and its writer.
export { LogRecordEntity } from './lib/log-record.entity';
export { LOG_STORE_MIGRATIONS } from './lib/migrations';
export {
  createDataSourceOptions,
  LOG_STORE_ENTITIES,
  type LogStoreConnectionOptions,
} from './lib/data-source-options';
export { LogBatchWriter, type InsertOutcome } from './lib/log-batch.writer';
export { LogStoreHealth } from './lib/log-store.health';
export { LogStoreModule, type LogStoreModuleAsyncOptions } from './lib/log-store.module';
export { isTransientDatabaseError } from './lib/database-errors';
export type { StoredLogEntry } from './lib/stored-log-entry';
export {
  databaseRolesFromEnv,
  DEFAULT_DATABASE_ROLES,
  grantLogStoreAccess,
  type DatabaseRoles,
  type GrantOutcome,
} from './lib/database-roles';
