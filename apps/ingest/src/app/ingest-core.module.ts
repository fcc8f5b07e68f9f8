import { Global, Module } from '@nestjs/common';
import { ApiKeyRegistry } from './auth/api-key.registry';
import { TenantQuota } from './auth/tenant-quota';
import { BacklogMonitor } from './backpressure/backlog.monitor';
import { ProtocolErrorFormats } from './http/protocol-error-formats';
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
    LogIngestService,
    BacklogMonitor,
    ApiKeyRegistry,
    TenantQuota,
    IngestMetrics,
    ProtocolErrorFormats,
  ],
  exports: [
    LogIngestService,
    BacklogMonitor,
    ApiKeyRegistry,
    TenantQuota,
    IngestMetrics,
    ProtocolErrorFormats,
  ],
})
export class IngestCoreModule {}
