import { Module } from '@nestjs/common';
import { SyslogBatchWriter } from './syslog-batch.writer';
import { SyslogListeners } from './syslog-listeners.service';
import { SyslogTenants } from './syslog-tenants';
import { SyslogMetrics } from './syslog.metrics';

/**
 * Syslog in (docs/protocols/syslog.md): TCP, UDP and TLS listeners inside the ingest process. Framing,
 * parsing and mapping live in @logpipe/protocol-syslog; what is stored goes through LogIngestService
 * like every HTTP protocol.
 */
@Module({
  providers: [SyslogListeners, SyslogBatchWriter, SyslogTenants, SyslogMetrics],
})
export class SyslogModule {}
