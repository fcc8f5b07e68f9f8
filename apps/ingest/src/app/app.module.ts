import { validateEnvironment } from '@logpipe/app-runtime';
import { LogQueryModule } from '@logpipe/log-query';
import { parseClusterNodes, StreamClientModule } from '@logpipe/stream-client';
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { AdminModule } from './admin/admin.module';
import { ApiKeyFileWatcher } from './auth/api-key-file.watcher';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ElasticsearchModule } from './elasticsearch/elasticsearch.module';
import { HealthController } from './health/health.controller';
import { IngestConfig } from './ingest.config';
import { IngestCoreModule } from './ingest-core.module';
import { LokiModule } from './loki/loki.module';
import { LogsController } from './logs/logs.controller';
import { MetricsController } from './metrics/metrics.controller';
import { OtlpModule } from './otlp/otlp.module';
import { LogsQueryController, ServicesController } from './query/logs-query.controller';
import { ReadReplicaMonitor } from './query/read-replica.monitor';
import { SyslogModule } from './syslog/syslog.module';
import { TailController } from './tail/tail.controller';
import { TailHub } from './tail/tail.hub';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      validate: validateEnvironment(IngestConfig),
    }),
    StreamClientModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<IngestConfig, true>) => ({
        redisUrl: config.get('REDIS_URL', { infer: true }),
        clusterNodes: parseClusterNodes(config.get('REDIS_CLUSTER_NODES', { infer: true })),
        shardCount: config.get('STREAM_SHARDS', { infer: true }),
        waitReplicas: config.get('REDIS_WAIT_REPLICAS', { infer: true }),
        compressMinBytes: config.get('STREAM_COMPRESS_MIN_BYTES', { infer: true }),
        streamKey: config.get('STREAM_KEY', { infer: true }),
        groupName: config.get('STREAM_GROUP', { infer: true }),
        deadLetterStreamKey: config.get('DEAD_LETTER_STREAM', { infer: true }),
        commandTimeoutMs: config.get('REDIS_COMMAND_TIMEOUT_MS', { infer: true }),
        connectionName: 'logpipe-ingest',
      }),
    }),
    // The read API's own small pool; connections open on first use, so a database that is down does
    // not keep ingest from starting or from taking writes. READ_DATABASE_URL may name a read replica.
    LogQueryModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<IngestConfig, true>) => ({
        url: config.get('READ_DATABASE_URL', { infer: true }) ?? config.get('DATABASE_URL', { infer: true }),
        schema: config.get('DB_SCHEMA', { infer: true }),
        poolSize: config.get('QUERY_POOL_SIZE', { infer: true }),
        statementTimeoutMs: config.get('QUERY_TIMEOUT_MS', { infer: true }),
        applicationName: 'logpipe-ingest',
      }),
    }),
    IngestCoreModule,
    // Other ways in: each protocol decodes and maps in its lib (libs/protocols/*), then joins the
    // one ingest path (LogIngestService) like POST /api/logs.
    OtlpModule,
    LokiModule,
    ElasticsearchModule,
    SyslogModule,
    AdminModule,
  ],
  controllers: [
    LogsController,
    LogsQueryController,
    ServicesController,
    TailController,
    HealthController,
    MetricsController,
  ],
  providers: [
    // Re-reads API_KEYS_FILE into IngestCoreModule's ApiKeyRegistry on change and on SIGHUP.
    ApiKeyFileWatcher,
    TailHub,
    ReadReplicaMonitor,
    // Every route needs an API key unless marked @Public() (health, metrics).
    { provide: APP_GUARD, useClass: ApiKeyGuard },
  ],
})
export class AppModule {}
