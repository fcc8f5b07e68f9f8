import { validateEnvironment } from '@logpipe/app-runtime';
import { StreamClientModule } from '@logpipe/stream-client';
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { BacklogMonitor } from './backpressure/backlog.monitor';
import { HealthController } from './health/health.controller';
import { IngestConfig } from './ingest.config';
import { LogIngestService } from './logs/log-ingest.service';
import { LogsController } from './logs/logs.controller';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment(IngestConfig) }),
    StreamClientModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<IngestConfig, true>) => ({
        redisUrl: config.get('REDIS_URL', { infer: true }),
        streamKey: config.get('STREAM_KEY', { infer: true }),
        groupName: config.get('STREAM_GROUP', { infer: true }),
        commandTimeoutMs: config.get('REDIS_COMMAND_TIMEOUT_MS', { infer: true }),
        connectionName: 'logpipe-ingest',
      }),
    }),
  ],
  controllers: [LogsController, HealthController],
  providers: [LogIngestService, BacklogMonitor],
})
export class AppModule {}
