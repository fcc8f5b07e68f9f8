import { BodyFramePool } from '@logpipe/log-schema';
import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiKeyRegistry } from './auth/api-key.registry';
import { TenantQuota } from './auth/tenant-quota';
import { BacklogMonitor } from './backpressure/backlog.monitor';
import { ProtocolErrorFormats } from './http/protocol-error-formats';
import type { IngestConfig } from './ingest.config';
import { LogIngestService } from './logs/log-ingest.service';
import { IngestMetrics } from './metrics/ingest.metrics';

/**
 * The one ingest path and what it needs (keys, quota, backpressure, metrics, protocol error formats),
 * global so every way in (Logpipe's API, OTLP, Loki, Elasticsearch, syslog) uses the same instances
 * instead of growing a second path.
 */
@Global()
@Module({
  providers: [
    {
      // Frames for request bodies and stream values (log-schema's body-frames.ts), kept for reuse up to
      // half the in-flight budget: the bodies in flight at once are bounded by all of it.
      provide: BodyFramePool,
      inject: [ConfigService],
      useFactory: (config: ConfigService<IngestConfig, true>) =>
        new BodyFramePool(Math.floor(config.get('MAX_IN_FLIGHT_BODY_BYTES', { infer: true }) / 2)),
    },
    LogIngestService,
    BacklogMonitor,
    ApiKeyRegistry,
    TenantQuota,
    IngestMetrics,
    ProtocolErrorFormats,
  ],
  exports: [
    BodyFramePool,
    LogIngestService,
    BacklogMonitor,
    ApiKeyRegistry,
    TenantQuota,
    IngestMetrics,
    ProtocolErrorFormats,
  ],
})
export class IngestCoreModule {}
