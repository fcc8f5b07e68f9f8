import { Logger } from '@nestjs/common';
import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { SyslogBatchWriter } from './syslog-batch.writer';
import type { SyslogIntake, TenantEntry } from './syslog-intake';
import type { SyslogSettings } from './syslog-settings';
import type { SyslogMetrics } from './syslog.metrics';
import { ThrottledLog } from './throttled-log';

/**
 * Syslog over UDP (RFC 5426): one datagram, one message. UDP cannot push back, so this listener says
 * plainly what it loses: a datagram is dropped, and counted in logpipe_syslog_messages_dropped_total,
 * when the queue in front of the ingest path is full (udp_queue_full) or the pipeline refuses a batch
 * (udp_unavailable: backlog over the high-water mark or Redis away; udp_quota). What the kernel drops
 * before Node sees it is in logpipe_syslog_udp_kernel_drops.
 */
export class SyslogUdpListener {
  private readonly logger = new Logger(SyslogUdpListener.name);
  private readonly throttled = new ThrottledLog(this.logger);
  private socket?: DatagramSocket;
  private queue: TenantEntry[] = [];
  private flushing?: Promise<void>;
  private scheduled = false;

  constructor(
    private readonly port: number,
    private readonly connectionTenant: string | undefined,
    private readonly settings: SyslogSettings,
    private readonly intake: Pick<SyslogIntake, 'take' | 'refused'>,
    private readonly writer: Pick<SyslogBatchWriter, 'write' | 'countRefused'>,
    private readonly metrics: Pick<SyslogMetrics, 'messagesDropped'>,
  ) {}

  async listen(): Promise<number> {
    const socket = createSocket({ type: isIPv6(this.settings.host) ? 'udp6' : 'udp4' });
    this.socket = socket;
    socket.on('message', (datagram, remote) => this.onMessage(datagram, `${remote.address}:${remote.port}`));
    socket.on('error', (error) =>
      this.logger.error({ message: 'syslog UDP socket error', error: error.message }),
    );
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.port, this.settings.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return socket.address().port;
  }

  private onMessage(datagram: Buffer, peer: string): void {
    if (datagram.length > this.settings.maxMessageBytes) {
      this.intake.refused('datagram-too-large', 'udp', peer, datagram.length);
      return;
    }
    const taken = this.intake.take(datagram, 'udp', this.connectionTenant, peer);
    if (taken === null) return;
    if (this.queue.length >= this.settings.udpQueueEntries) {
      this.drop('udp_queue_full', 1);
      return;
    }
    this.queue.push(taken);
    if (!this.scheduled && this.flushing === undefined) {
      this.scheduled = true;
      // Datagrams that arrive in the same turn of the event loop go into one batch.
      setImmediate(() => {
        this.scheduled = false;
        this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
      });
    }
  }

  private drop(reason: 'udp_queue_full' | 'udp_unavailable' | 'udp_quota', count: number): void {
    this.metrics.messagesDropped.inc({ reason, transport: 'udp' }, count);
    this.writer.countRefused(count, reason === 'udp_quota' ? 'quota' : 'unavailable');
    this.throttled.warn(reason, { message: 'syslog UDP messages dropped', dropped: count });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.settings.batchEntries);
      const byTenant = new Map<string, TenantEntry['entry'][]>();
      for (const { tenant, entry } of batch) {
        const list = byTenant.get(tenant);
        if (list === undefined) byTenant.set(tenant, [entry]);
        else list.push(entry);
      }
      for (const [tenant, entries] of byTenant) {
        const result = await this.writer.write(tenant, entries, 'udp');
        if (!result.ok)
          this.drop(result.reason === 'quota' ? 'udp_quota' : 'udp_unavailable', entries.length);
      }
    }
  }

  /** Stops receiving, then queues what was received. */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
    while (this.flushing !== undefined || this.queue.length > 0) {
      this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
      await this.flushing;
    }
  }
}
