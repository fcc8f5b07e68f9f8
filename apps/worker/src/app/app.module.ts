import { validateEnvironment } from '@logpipe/app-runtime';
import { LogStoreModule } from '@logpipe/log-store';
import { parseClusterNodes, StreamClientModule } from '@logpipe/stream-client';
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { WorkerHealthServer } from './health/worker-health.server';
import { LogBatchProcessor } from './ingestion/log-batch.processor';
import { LogStreamConsumer } from './ingestion/log-stream.consumer';
import { RowInserter } from './ingestion/row-inserter.service';
import { PartitionMaintenance } from './maintenance/partition-maintenance.service';
import { StoreMetrics } from './maintenance/store.metrics';
import { WorkerMetrics } from './metrics/worker.metrics';
import { WorkerConfig } from './worker.config';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      validate: validateEnvironment(WorkerConfig),
    }),
    StreamClientModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<WorkerConfig, true>) => ({
        redisUrl: config.get('REDIS_URL', { infer: true }),
        clusterNodes: parseClusterNodes(config.get('REDIS_CLUSTER_NODES', { infer: true })),
        shardCount: config.get('STREAM_SHARDS', { infer: true }),
        streamKey: config.get('STREAM_KEY', { infer: true }),
        groupName: config.get('STREAM_GROUP', { infer: true }),
        deadLetterStreamKey: config.get('DEAD_LETTER_STREAM', { infer: true }),
        deadLetterMaxEntries: config.get('DEAD_LETTER_MAX_ENTRIES', { infer: true }),
        deadLetterMaxAgeMs: config.get('DEAD_LETTER_MAX_AGE_HOURS', { infer: true }) * 3_600_000,
        consumerName: config.get('WORKER_NAME', { infer: true }),
        connectionName: 'logpipe-worker',
      }),
    }),
    LogStoreModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<WorkerConfig, true>) => ({
        url: config.get('DATABASE_URL', { infer: true }),
        schema: config.get('DB_SCHEMA', { infer: true }),
        migrationsRun: config.get('DB_MIGRATE', { infer: true }),
        // One connection per batch in flight, plus one for health checks, one for maintenance and one spare.
        poolSize: config.get('MAX_BATCHES_IN_FLIGHT', { infer: true }) + 3,
        partitionInterval: config.get('PARTITION_INTERVAL', { infer: true }),
        applicationName: 'logpipe-worker',
      }),
    }),
  ],
  providers: [
    RowInserter,
    LogBatchProcessor,
    LogStreamConsumer,
    WorkerHealthServer,
    WorkerMetrics,
    StoreMetrics,
    PartitionMaintenance,
  ],
})
export class AppModule {}
