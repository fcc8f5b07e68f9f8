import { type DynamicModule, Module, type ModuleMetadata, type Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createDataSourceOptions, type LogStoreConnectionOptions } from './data-source-options';
import { LogBatchWriter } from './log-batch.writer';
import { LogStoreHealth } from './log-store.health';
import { DEFAULT_PARTITION_INTERVAL, LOG_PARTITION_INTERVAL } from './partitioning';

export interface LogStoreModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: Array<string | symbol | Type>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest injects whatever `inject` names
  useFactory: (...args: any[]) => LogStoreConnectionOptions | Promise<LogStoreConnectionOptions>;
}

/** PostgreSQL access for the `logs` table: the TypeORM connection, the batch writer and a health probe. */
@Module({})
export class LogStoreModule {
  static forRootAsync(options: LogStoreModuleAsyncOptions): DynamicModule {
    return {
      module: LogStoreModule,
      imports: [
        ...(options.imports ?? []),
        TypeOrmModule.forRootAsync({
          imports: options.imports,
          inject: options.inject,
          useFactory: async (...args: unknown[]) => ({
            ...createDataSourceOptions(await options.useFactory(...args)),
            // A database that is down at start-up gets about a minute before the process gives up.
            retryAttempts: 30,
            retryDelay: 2000,
          }),
        }),
      ],
      providers: [
        LogBatchWriter,
        LogStoreHealth,
        {
          provide: LOG_PARTITION_INTERVAL,
          inject: options.inject,
          useFactory: async (...args: unknown[]) =>
            (await options.useFactory(...args)).partitionInterval ?? DEFAULT_PARTITION_INTERVAL,
        },
      ],
      exports: [LogBatchWriter, LogStoreHealth],
    };
  }
}
