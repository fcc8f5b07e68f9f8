import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { readFileSync } from 'node:fs';
import { IngestMetrics } from '../metrics/ingest.metrics';

/**
 * Kernel drops of the UDP sockets on `ports`: the last column of /proc/net/udp{,6} (Linux). A datagram
 * the kernel dropped because the receive buffer was full never reaches Node, so this is the only way
 * to count it. Elsewhere: 0.
 */
export function kernelUdpDrops(ports: readonly number[]): number {
  const wanted = new Set(ports.map((port) => port.toString(16).toUpperCase().padStart(4, '0')));
  let drops = 0;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (local === undefined || !wanted.has(local.slice(local.lastIndexOf(':') + 1))) continue;
      drops += Number(fields[fields.length - 1]) || 0;
    }
  }
  return drops;
}

/** Syslog's own metrics, in the ingest registry (GET /metrics); entry counts are IngestMetrics' with protocol="syslog". */
@Injectable()
export class SyslogMetrics {
  readonly connectionsOpen: Gauge<'transport'>;
  readonly connectionsTotal: Counter<'transport'>;
  readonly connectionsRefused: Counter<'reason'>;
  readonly connectionsClosed: Counter<'reason'>;
  readonly messagesReceived: Counter<'transport'>;
  readonly parseErrors: Counter<'transport'>;
  readonly messagesRetimed: Counter<'transport'>;
  readonly framesRefused: Counter<'reason'>;
  readonly messagesDropped: Counter<'reason' | 'transport'>;
  readonly pauses: Counter;
  /** UDP ports whose kernel drops the gauge reports (set by the listeners once bound). */
  udpPorts: number[] = [];

  constructor(metrics: IngestMetrics) {
    const registers = [metrics.registry];
    this.connectionsOpen = new Gauge({
      name: 'logpipe_syslog_connections_open',
      help: 'Syslog TCP/TLS connections open on this instance',
      labelNames: ['transport'],
      registers,
    });
    this.connectionsTotal = new Counter({
      name: 'logpipe_syslog_connections_total',
      help: 'Syslog TCP/TLS connections accepted',
      labelNames: ['transport'],
      registers,
    });
    this.connectionsRefused = new Counter({
      name: 'logpipe_syslog_connections_refused_total',
      help: 'Syslog connections refused: per_ip_limit, tls_handshake',
      labelNames: ['reason'],
      registers,
    });
    this.connectionsClosed = new Counter({
      name: 'logpipe_syslog_connections_closed_total',
      help: 'Syslog connections closed, by reason: peer, idle, partial_frame, error, shutdown',
      labelNames: ['reason'],
      registers,
    });
    this.messagesReceived = new Counter({
      name: 'logpipe_syslog_messages_received_total',
      help: 'Syslog messages framed (TCP/TLS) or received (UDP), before tenant checks',
      labelNames: ['transport'],
      registers,
    });
    this.parseErrors = new Counter({
      name: 'logpipe_syslog_messages_unparsed_total',
      help: 'Syslog messages that matched neither RFC 5424 nor BSD syslog, stored as raw text with attributes.syslog.parse_error',
      labelNames: ['transport'],
      registers,
    });
    this.messagesRetimed = new Counter({
      name: 'logpipe_syslog_messages_retimed_total',
      help: 'Syslog messages whose header time lay outside ENTRY_MAX_AGE / ENTRY_MAX_FUTURE: stored at their receipt time, the header time in attributes.syslog.header_time',
      labelNames: ['transport'],
      registers,
    });
    this.framesRefused = new Counter({
      name: 'logpipe_syslog_frames_refused_total',
      help: 'Frames refused by the framing limits: octet-count-too-large, line-too-long, incomplete-frame, datagram-too-large',
      labelNames: ['reason'],
      registers,
    });
    this.messagesDropped = new Counter({
      name: 'logpipe_syslog_messages_dropped_total',
      help: 'Syslog messages not stored, by reason: wrong_key, missing_key, invalid, udp_queue_full, udp_unavailable, udp_quota, shutdown',
      labelNames: ['reason', 'transport'],
      registers,
    });
    this.pauses = new Counter({
      name: 'logpipe_syslog_backpressure_pauses_total',
      help: 'Times a TCP/TLS connection stopped reading because the pipeline refused more (backlog, quota, Redis)',
      registers,
    });
    const ports = (): number[] => this.udpPorts;
    new Gauge({
      name: 'logpipe_syslog_udp_kernel_drops',
      help: 'Datagrams the kernel dropped on the syslog UDP sockets (receive buffer full), from /proc/net/udp',
      registers,
      collect() {
        this.set(kernelUdpDrops(ports()));
      },
    });
  }
}
