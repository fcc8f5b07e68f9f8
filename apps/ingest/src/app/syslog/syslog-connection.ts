import { SyslogFramer, type SyslogFrameEvent } from '@logpipe/protocol-syslog';
import { Logger } from '@nestjs/common';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SyslogBatchWriter, SyslogTransport } from './syslog-batch.writer';
import type { SyslogIntake, TenantEntry } from './syslog-intake';
import type { SyslogSettings } from './syslog-settings';
import type { SyslogMetrics } from './syslog.metrics';

export interface SyslogConnectionDeps {
  readonly settings: SyslogSettings;
  readonly intake: Pick<SyslogIntake, 'take' | 'refused'>;
  readonly writer: Pick<SyslogBatchWriter, 'write' | 'countRefused'>;
  readonly metrics: Pick<SyslogMetrics, 'pauses' | 'connectionsClosed' | 'messagesDropped'>;
  /** Whether the backlog is under its high-water mark (BacklogMonitor): reading resumes only then. */
  readonly accepting: () => boolean;
  /** How often a paused connection looks at `accepting` again. */
  readonly pollIntervalMs: number;
}

const logger = new Logger('SyslogConnection');

/**
 * One TCP or TLS syslog connection: frames the byte stream, hands the messages to the ingest path in
 * batches, and uses TCP flow control as backpressure. While a batch is being queued, or the backlog is
 * over its high-water mark, or the tenant is over its quota, or Redis is away, the socket is paused:
 * the kernel's receive buffer fills, the sender's send buffer fills, and the sender queues (rsyslog's
 * action queue, syslog-ng's disk buffer) instead of anything being dropped here. A message that was
 * framed is retried until it is queued; only a shutdown that runs out of time gives up on one, counted.
 */
export class SyslogConnection {
  private readonly framer: SyslogFramer;
  private pending: TenantEntry[] = [];
  private pumping = false;
  private waiting = false;
  /** No more input: the peer ended, the connection timed out or failed, or the service is stopping. */
  private closed = false;
  private stopDeadline = Number.POSITIVE_INFINITY;
  private resolveDone!: () => void;
  /** Settles once every framed message is queued (or given up at shutdown) and the socket is closed. */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));
  readonly peer: string;

  constructor(
    private readonly socket: Socket,
    private readonly transport: SyslogTransport,
    private readonly connectionTenant: string | undefined,
    private readonly deps: SyslogConnectionDeps,
  ) {
    this.framer = new SyslogFramer({
      maxMessageBytes: deps.settings.maxMessageBytes,
      maxLineBytes: deps.settings.maxLineBytes,
    });
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  }

  start(): void {
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('timeout', () => this.onTimeout());
    this.socket.on('error', (error) => {
      logger.debug({ message: 'syslog connection error', peer: this.peer, error: error.message });
    });
    this.socket.on('close', () => this.onClose());
    this.armTimeout();
  }

  /** Shutdown: read nothing more, queue what was framed (until `deadlineAt`), then close. */
  stop(deadlineAt: number): Promise<void> {
    this.stopDeadline = deadlineAt;
    if (!this.closed) this.close('shutdown');
    return this.done;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.take(this.framer.push(chunk));
    void this.pump();
  }

  private onEnd(): void {
    if (this.closed) return;
    // A last newline-framed message without its LF is still a message.
    this.take(this.framer.end());
    this.close('peer');
  }

  private onTimeout(): void {
    if (this.closed) return;
    const stalled = this.framer.inFrame;
    if (stalled)
      this.deps.intake.refused('incomplete-frame', this.transport, this.peer, this.framer.pendingBytes);
    logger.warn({
      message: stalled
        ? 'syslog connection closed: a frame stayed incomplete for SYSLOG_FRAME_TIMEOUT_MS'
        : 'syslog connection closed: idle for SYSLOG_IDLE_TIMEOUT_MS',
      peer: this.peer,
      transport: this.transport,
    });
    this.close(stalled ? 'partial_frame' : 'idle');
  }

  private onClose(): void {
    if (!this.closed) {
      // Reset or failed without an orderly end: a partial frame is lost with the connection.
      this.close(this.framer.inFrame ? 'error' : 'peer');
    }
    void this.pump();
  }

  private take(events: SyslogFrameEvent[]): void {
    for (const event of events) {
      if (event.kind === 'refused') {
        this.deps.intake.refused(event.problem, this.transport, this.peer, event.bytes);
        continue;
      }
      const taken = this.deps.intake.take(event.frame, this.transport, this.connectionTenant, this.peer);
      if (taken !== null) this.pending.push(taken);
    }
  }

  private close(reason: string): void {
    this.closed = true;
    this.deps.metrics.connectionsClosed.inc({ reason });
    this.socket.pause();
    this.socket.setTimeout(0);
    // end() lets the sender see an orderly close (and reconnect elsewhere); destroy() after a timeout.
    if (reason === 'peer' || reason === 'shutdown') this.socket.end();
    else this.socket.destroy();
    void this.pump();
  }

  private armTimeout(): void {
    if (this.closed || this.pumping || this.waiting) {
      this.socket.setTimeout(0);
      return;
    }
    const { frameTimeoutMs, idleTimeoutMs } = this.deps.settings;
    this.socket.setTimeout(this.framer.inFrame ? frameTimeoutMs : idleTimeoutMs);
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.waiting) return;
    this.pumping = true;
    this.armTimeout();
    this.socket.pause();
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.deps.settings.batchEntries);
        await this.writeAll(batch);
      }
    } finally {
      this.pumping = false;
    }
    if (this.closed) {
      if (this.pending.length === 0 && (this.socket.destroyed || this.socket.closed)) this.resolveDone();
      else if (this.pending.length > 0) void this.pump();
      return;
    }
    await this.waitUntilAccepting();
    if (this.pending.length > 0) {
      void this.pump();
      return;
    }
    if (!this.closed) {
      this.socket.resume();
      this.armTimeout();
    }
  }

  /** Paused while the backlog is over the high-water mark, so nothing is read that could not be queued. */
  private async waitUntilAccepting(): Promise<void> {
    if (this.deps.accepting()) return;
    this.waiting = true;
    this.armTimeout();
    this.deps.metrics.pauses.inc();
    try {
      while (!this.deps.accepting() && !this.closed) await sleep(this.deps.pollIntervalMs);
    } finally {
      this.waiting = false;
    }
  }

  private async writeAll(batch: TenantEntry[]): Promise<void> {
    const byTenant = new Map<string, TenantEntry['entry'][]>();
    for (const { tenant, entry } of batch) {
      const list = byTenant.get(tenant);
      if (list === undefined) byTenant.set(tenant, [entry]);
      else list.push(entry);
    }
    for (const [tenant, entries] of byTenant) {
      let paused = false;
      for (;;) {
        const result = await this.deps.writer.write(tenant, entries, this.transport);
        if (result.ok) break;
        if (Date.now() >= this.stopDeadline) {
          this.deps.metrics.messagesDropped.inc(
            { reason: 'shutdown', transport: this.transport },
            entries.length,
          );
          logger.error({
            message:
              'syslog messages not stored: the pipeline refused them until the shutdown budget ran out',
            peer: this.peer,
            tenant,
            entries: entries.length,
            reason: result.reason,
          });
          break;
        }
        if (!paused) {
          paused = true;
          this.deps.metrics.pauses.inc();
        }
        // Backlog or Redis: poll until accepting (at most Retry-After); quota: wait the Retry-After.
        const until = Math.min(Date.now() + result.retryAfterMs, this.stopDeadline);
        do {
          await sleep(this.deps.pollIntervalMs);
        } while (Date.now() < until && (result.reason === 'quota' || !this.deps.accepting()));
      }
    }
  }
}
