import type { SyslogLogEntry } from '@logpipe/protocol-syslog';
import { Injectable, Logger } from '@nestjs/common';
import { LogIngestService } from '../logs/log-ingest.service';
import { IngestOutcome } from '../metrics/ingest-outcome';
import { IngestMetrics } from '../metrics/ingest.metrics';
import { SyslogMetrics } from './syslog.metrics';
import { ThrottledLog } from './throttled-log';

export type SyslogTransport = 'tcp' | 'tls' | 'udp';

export type SyslogWriteResult =
  | { readonly ok: true }
  /** Nothing was queued: the pipeline refused (backlog, quota) or Redis is away. Retry, or drop (UDP). */
  | { readonly ok: false; readonly reason: 'unavailable' | 'quota'; readonly retryAfterMs: number };

/** What a thrown error from the ingest path means for a syslog sender, which gets no answer. */
function classify(error: unknown): { reason: 'unavailable' | 'quota'; retryAfterMs: number } | null {
  const status = (error as { statusCode?: unknown }).statusCode;
  const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  const retryAfterMs = typeof retryAfter === 'number' ? retryAfter * 1000 : 1000;
  if (status === 429) return { reason: 'quota', retryAfterMs };
  const name = (error as { name?: unknown }).name;
  if (status === 503 || name === 'ServiceUnavailableError' || name === 'StreamUnavailableError') {
    return { reason: 'unavailable', retryAfterMs };
  }
  return null;
}

/**
 * Hands one tenant's batch of syslog entries to the shared ingest path (validation, quota, backlog,
 * stream): the same `ingestEach` the HTTP protocols use, so nothing about storing is syslog-specific.
 */
@Injectable()
export class SyslogBatchWriter {
  private readonly logger = new Logger(SyslogBatchWriter.name);
  private readonly throttled = new ThrottledLog(this.logger);

  constructor(
    private readonly ingest: LogIngestService,
    private readonly metrics: SyslogMetrics,
    private readonly ingestMetrics: IngestMetrics,
  ) {}

  /**
   * Entries syslog gave up on (UDP drops, a wrong key, a shutdown out of time), in the shared entry
   * counters with protocol="syslog", so the HTTP and syslog figures read the same way.
   */
  countRefused(entries: number, reason: 'unauthorized' | 'quota' | 'unavailable'): void {
    this.ingestMetrics.entriesReceived.inc({ protocol: 'syslog' }, entries);
    this.ingestMetrics.entriesRejected.inc({ protocol: 'syslog', reason }, entries);
  }

  async write(
    tenant: string,
    entries: SyslogLogEntry[],
    transport: SyslogTransport,
  ): Promise<SyslogWriteResult> {
    try {
      const outcome = new IngestOutcome();
      const result = await this.ingest.ingestEach(entries, tenant, outcome);
      // Counted once, when queued: a TCP batch the pipeline refused is retried, not received twice.
      this.ingestMetrics.entriesReceived.inc({ protocol: 'syslog' }, outcome.received);
      this.ingestMetrics.entriesQueued.inc({ protocol: 'syslog' }, outcome.queued);
      if (result.rejected.length > 0) {
        this.ingestMetrics.entriesRejected.inc(
          { protocol: 'syslog', reason: 'invalid' },
          result.rejected.length,
        );
        // The mapper only builds valid entries; a rejection here is a bug worth seeing, not noise.
        this.metrics.messagesDropped.inc({ reason: 'invalid', transport }, result.rejected.length);
        this.throttled.warn('invalid', {
          message: 'syslog entries refused by validation (not stored)',
          tenant,
          refused: result.rejected.length,
          first: result.rejected[0].errors[0],
        });
      }
      return { ok: true };
    } catch (error) {
      const known = classify(error);
      if (known !== null) return { ok: false, ...known };
      this.throttled.warn('error', {
        message: 'syslog batch could not be queued',
        tenant,
        error: (error as Error).message,
      });
      return { ok: false, reason: 'unavailable', retryAfterMs: 1000 };
    }
  }
}
