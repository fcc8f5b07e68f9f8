import { decodeSyslogFrame, type SyslogLogEntry } from '@logpipe/protocol-syslog';
import { Logger } from '@nestjs/common';
import type { SyslogBatchWriter, SyslogTransport } from './syslog-batch.writer';
import type { SyslogSettings } from './syslog-settings';
import { SyslogTenants } from './syslog-tenants';
import { SyslogMetrics } from './syslog.metrics';
import { ThrottledLog } from './throttled-log';

export interface TenantEntry {
  readonly tenant: string;
  readonly entry: SyslogLogEntry;
}

/**
 * One frame or datagram -> the entry to store and its tenant, or nothing (counted and logged) when its
 * key is wrong or missing. The key itself is never logged.
 */
export class SyslogIntake {
  private readonly throttled = new ThrottledLog(new Logger(SyslogIntake.name));
  /**
   * The received counter of each transport, looked up once: `inc({ transport })` hashes and checks the
   * labels on every call, which was a visible share of a message's cost.
   */
  private readonly received: Readonly<Record<SyslogTransport, { inc(): void }>>;

  constructor(
    private readonly settings: SyslogSettings,
    private readonly tenants: SyslogTenants,
    private readonly metrics: SyslogMetrics,
    private readonly writer: Pick<SyslogBatchWriter, 'countRefused'>,
  ) {
    const counter = metrics.messagesReceived;
    this.received = { tcp: counter.labels('tcp'), tls: counter.labels('tls'), udp: counter.labels('udp') };
  }

  take(
    frame: Buffer,
    transport: SyslogTransport,
    connectionTenant: string | undefined,
    peer: string,
  ): TenantEntry | null {
    this.received[transport].inc();
    const receivedAt = Date.now();
    const decoded = decodeSyslogFrame(frame, {
      receivedAt,
      timeZone: this.settings.timeZone,
      keyElementId: this.settings.keyElementId,
    });
    if (!decoded.parsed) this.metrics.parseErrors.inc({ transport });
    const decision = this.tenants.resolve(connectionTenant, decoded.apiKey);
    if ('drop' in decision) {
      this.metrics.messagesDropped.inc({ reason: decision.drop, transport });
      this.writer.countRefused(1, 'unauthorized');
      this.throttled.warn(decision.drop, {
        message:
          decision.drop === 'wrong_key'
            ? 'syslog message dropped: its API key is not configured'
            : `syslog message dropped: API keys are required and it has no [${this.settings.keyElementId} key="..."] element`,
        transport,
        peer,
      });
      return null;
    }
    return { tenant: decision.tenant, entry: this.withinTimeLimits(decoded.entry, receivedAt, transport) };
  }

  /**
   * A header time outside ENTRY_MAX_AGE / ENTRY_MAX_FUTURE is a device clock that is wrong (a router
   * that booted in 1970, a 3164 message whose year was guessed across New Year), not a message to lose:
   * syslog cannot be told its message was refused. The entry takes its receipt time instead and keeps
   * the header's in `syslog.header_time`, counted as `messages_retimed`.
   */
  private withinTimeLimits(
    entry: SyslogLogEntry,
    receivedAt: number,
    transport: SyslogTransport,
  ): SyslogLogEntry {
    const { timestamp } = entry;
    if (timestamp === undefined) return entry;
    const { maxAgeMs, maxFutureMs } = this.settings.timeLimits;
    const tooOld = maxAgeMs > 0 && timestamp < receivedAt - maxAgeMs;
    const tooNew = maxFutureMs > 0 && timestamp > receivedAt + maxFutureMs;
    if (!tooOld && !tooNew) return entry;
    this.metrics.messagesRetimed.inc({ transport });
    const headerTime = Number.isFinite(new Date(timestamp).getTime())
      ? new Date(timestamp).toISOString()
      : String(timestamp);
    const { level, service, message, attributes } = entry;
    return {
      level,
      service,
      message,
      attributes: { syslog: { ...attributes.syslog, header_time: headerTime } },
    };
  }

  refused(reason: string, transport: SyslogTransport, peer: string, bytes: number): void {
    this.metrics.framesRefused.inc({ reason });
    this.throttled.warn(reason, {
      message: 'syslog frame refused by the framing limits',
      transport,
      peer,
      bytes,
    });
  }
}
