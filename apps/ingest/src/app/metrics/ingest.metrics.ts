import { collectProcessMetrics } from '@logpipe/app-runtime';
import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { BacklogMonitor } from '../backpressure/backlog.monitor';
import { RequestDurationHistogram } from './request-duration.histogram';
import { TalliedCounter } from './tallied-counter';

/** Why entries were refused, by answer status: what an operator needs to tell a client bug from an outage. */
export const REJECTION_REASONS: Readonly<Record<number, string>> = {
  400: 'invalid',
  401: 'unauthorized',
  413: 'too_large',
  415: 'unsupported_media_type',
  429: 'quota',
  503: 'unavailable',
};

export function rejectionReason(status: number): string {
  return REJECTION_REASONS[status] ?? (status >= 500 ? 'error' : `status_${status}`);
}

/**
 * The ingest instance's Prometheus metrics, in a registry of its own (served at GET /metrics on the
 * ingest port, which nginx does not proxy). Entry counters count entries, not requests: a batch of
 * 500 that is refused adds 500 to rejected{reason}; a body that could not even be parsed counts as one.
 */
@Injectable()
export class IngestMetrics {
  readonly registry = new Registry();

  readonly entriesReceived = new TalliedCounter({
    name: 'logpipe_ingest_entries_received_total',
    help: 'Entries submitted (accepted or not), by protocol: logpipe (/api/log, /api/logs), otlp, loki, elasticsearch, syslog',
    labelNames: ['protocol'],
    registers: [this.registry],
  });

  readonly entriesQueued = new TalliedCounter({
    name: 'logpipe_ingest_entries_queued_total',
    help: 'Entries appended to the Redis stream (answered as accepted), by protocol',
    labelNames: ['protocol'],
    registers: [this.registry],
  });

  readonly entriesRejected = new Counter({
    name: 'logpipe_ingest_entries_rejected_total',
    help: 'Entries refused, by protocol and reason: invalid, unauthorized, too_large, unsupported_media_type, quota, unavailable, error',
    labelNames: ['protocol', 'reason'],
    registers: [this.registry],
  });

  /**
   * The logpipe protocol's (/api/log, /api/logs) received and queued series, tallied (TalliedCounter):
   * prom-client checks and hashes a label object on every inc, once per request on the hottest route.
   */
  readonly logpipeEntries = {
    received: this.entriesReceived.tally({ protocol: 'logpipe' }),
    queued: this.entriesQueued.tally({ protocol: 'logpipe' }),
  };

  readonly quotaDecisions = new Counter({
    name: 'logpipe_ingest_quota_decisions_total',
    help: 'Tenant quota decisions (requests, not entries) by who decided: redis (the shared bucket), local_bound (refused here, over even the most the shared bucket could hold), fallback (this instance alone, Redis away); and outcome: admitted, refused',
    labelNames: ['decided_by', 'outcome'],
    registers: [this.registry],
  });

  readonly requestDuration = new RequestDurationHistogram(
    'logpipe_http_request_duration_seconds',
    'HTTP request duration by route (the route pattern, not the URL) and status',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    this.registry,
  );

  readonly writeRequests = new TalliedCounter({
    name: 'logpipe_http_write_requests_total',
    help: 'POST /api/log and /api/logs requests by how ingest served them: lane="direct" (straight from node:http: a JSON or NDJSON body with a Content-Length, identity or gzip, a valid key) or lane="framework" (through Fastify: every other request to these routes, including the ones refused before their body was read)',
    labelNames: ['lane'],
    registers: [this.registry],
  });

  readonly tailReaders = new Gauge({
    name: 'logpipe_tail_readers',
    help: 'Live tail (SSE) connections open on this instance',
    registers: [this.registry],
  });

  readonly tailDropped = new Counter({
    name: 'logpipe_tail_readers_dropped_total',
    help: 'Tail readers disconnected for falling too far behind',
    registers: [this.registry],
  });

  readonly tailEntries = new Counter({
    name: 'logpipe_tail_entries_sent_total',
    help: 'Entries sent to tail readers',
    registers: [this.registry],
  });

  constructor(backlog: BacklogMonitor) {
    // Two units, named apart: log entries waiting (the backlog BACKLOG_HIGH_WATER applies to, from the
    // shards' entry counters) and stream entries (XLEN; a chunk of many log entries is one).
    this.pollGauges(
      'logpipe_backlog_entries',
      'logpipe_backlog_shard_entries',
      'Log entries written to the Redis stream and not yet acknowledged by a worker (the backlog BACKLOG_HIGH_WATER applies to)',
      () => [backlog.state.entries, backlog.state.entriesByShard],
    );
    this.pollGauges(
      'logpipe_stream_length',
      'logpipe_stream_shard_length',
      'Stream entries (XLEN; a chunk of log entries counts once) in the Redis stream, not yet trimmed',
      () => [backlog.state.streamEntries, backlog.state.streamEntriesByShard],
    );
    new Gauge({
      name: 'logpipe_ingest_accepting',
      help: '1 while the backlog is under the high-water mark and entries are accepted, 0 while answering 503',
      registers: [this.registry],
      collect() {
        this.set(backlog.state.accepting ? 1 : 0);
      },
    });
    collectProcessMetrics(this.registry);
  }

  /** A total and a per-shard gauge of one figure BacklogMonitor polls (unset until its first poll). */
  private pollGauges(
    name: string,
    shardName: string,
    help: string,
    read: () => [number | null, number[] | null],
  ): void {
    new Gauge({
      name,
      help: `${help}, as last polled by this instance`,
      registers: [this.registry],
      collect() {
        const [total] = read();
        if (total !== null) this.set(total);
      },
    });
    new Gauge({
      name: shardName,
      help: `${help}, in each shard (STREAM_SHARDS), as last polled by this instance`,
      labelNames: ['shard'],
      registers: [this.registry],
      collect() {
        read()[1]?.forEach((value, shard) => this.set({ shard: String(shard) }, value));
      },
    });
  }
}
