// Public API of @logpipe/log-store: the `logs` table (entity, migrations, DataSource) and its writer.
export { LogRecordEntity } from './lib/log-record.entity';
export { LogEventIdEntity } from './lib/log-event-id.entity';
export { LOG_STORE_MIGRATIONS } from './lib/migrations';
export {
  createDataSourceOptions,
  LOG_STORE_ENTITIES,
  type LogStoreConnectionOptions,
} from './lib/data-source-options';
export { LogBatchWriter, type InsertOutcome } from './lib/log-batch.writer';
export { LOG_WRITE_LANES } from './lib/write-lanes';
export { LogStoreHealth } from './lib/log-store.health';
export { LogStoreModule, type LogStoreModuleAsyncOptions } from './lib/log-store.module';
export { isTransientDatabaseError } from './lib/database-errors';
export type { StoredLogEntry } from './lib/stored-log-entry';
export {
  createLogPartitions,
  deleteLogRows,
  dropLogPartitionsBefore,
  expireEventIds,
  listLogPartitionFill,
  listLogPartitions,
  oldestLogTime,
  releaseMaintenanceLock,
  resumeInsertVacuum,
  setInsertVacuumHold,
  summarizeOpenLogPartitions,
  tryMaintenanceLock,
  type LogPartition,
  type LogPartitionFill,
  type LogRowDeletion,
  type SqlQueryable,
} from './lib/log-partitions';
export {
  DEFAULT_PARTITION_INTERVAL,
  PARTITION_INTERVAL_PATTERN,
  partitionIntervalMs,
} from './lib/partitioning';
export {
  databaseRolesFromEnv,
  DEFAULT_DATABASE_ROLES,
  grantLogStoreAccess,
  type DatabaseRoles,
  type GrantOutcome,
} from './lib/database-roles';
export { decodeLogRow, encodedRowStreamId, encodeLogRow, type EncodedLogRow } from './lib/encoded-log-row';
