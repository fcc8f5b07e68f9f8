import type { DataSourceOptions } from 'typeorm';
import { LogEventIdEntity } from './log-event-id.entity';
import { LogRecordEntity } from './log-record.entity';
import { LOG_STORE_MIGRATIONS } from './migrations';

export interface LogStoreConnectionOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Schema that holds `logs` and the migrations table; tests use one of their own. */
  schema?: string;
  /** Run pending migrations when the DataSource initialises. */
  migrationsRun?: boolean;
  poolSize?: number;
  /** Server-side limit for any one statement, so a stuck query fails instead of holding the batch. */
  statementTimeoutMs?: number;
  applicationName?: string;
  /** Width of the partitions the writer creates when a row finds none (PARTITION_INTERVAL); '1 day' by default. */
  partitionInterval?: string;
}

export const LOG_STORE_ENTITIES = [LogRecordEntity, LogEventIdEntity];

/** The one DataSource definition, shared by the Nest module and the TypeORM migration CLI. */
export function createDataSourceOptions(options: LogStoreConnectionOptions): DataSourceOptions {
  const schema = options.schema ?? 'public';
  return {
    type: 'postgres',
    url: options.url,
    schema,
    entities: LOG_STORE_ENTITIES,
    migrations: LOG_STORE_MIGRATIONS,
    migrationsTableName: 'logpipe_migrations',
    migrationsRun: options.migrationsRun ?? false,
    migrationsTransactionMode: 'each',
    synchronize: false,
    poolSize: options.poolSize ?? 4,
    applicationName: options.applicationName ?? 'logpipe',
    extra: {
      // The migrations write unqualified names, so the search_path decides where `logs` lives.
      options: `-c search_path=${schema} -c statement_timeout=${options.statementTimeoutMs ?? 30000}`,
      connectionTimeoutMillis: 5000,
    },
  };
}
