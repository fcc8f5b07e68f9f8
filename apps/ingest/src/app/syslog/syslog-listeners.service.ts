import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { BacklogMonitor } from '../backpressure/backlog.monitor';
import { IngestConfig } from '../ingest.config';
import { SyslogBatchWriter, type SyslogTransport } from './syslog-batch.writer';
import { SyslogConnection } from './syslog-connection';
import { SyslogIntake } from './syslog-intake';
import { readSyslogSettings, type SyslogSettings } from './syslog-settings';
import { SyslogTenants } from './syslog-tenants';
import { SyslogUdpListener } from './syslog-udp.listener';
import { SyslogMetrics } from './syslog.metrics';
import { ThrottledLog } from './throttled-log';

/**
 * The syslog listeners of this ingest instance (SYSLOG_ENABLED): TCP and UDP on SYSLOG_TCP_PORT /
 * SYSLOG_UDP_PORT, TLS on SYSLOG_TLS_PORT when a certificate is configured, and a TCP+UDP pair per
 * tenant in SYSLOG_TENANT_PORTS. They start with the application and stop before Redis closes.
 */
@Injectable()
export class SyslogListeners implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SyslogListeners.name);
  private readonly throttled = new ThrottledLog(this.logger);
  private readonly servers: Server[] = [];
  private readonly udp: SyslogUdpListener[] = [];
  private readonly connections = new Set<SyslogConnection>();
  private readonly perIp = new Map<string, number>();
  private settings?: SyslogSettings;

  constructor(
    private readonly config: ConfigService<IngestConfig, true>,
    private readonly tenants: SyslogTenants,
    private readonly writer: SyslogBatchWriter,
    private readonly metrics: SyslogMetrics,
    private readonly backlog: BacklogMonitor,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.get('SYSLOG_ENABLED', { infer: true })) return;
    const settings = readSyslogSettings(this.configValues());
    this.settings = settings;
    const intake = new SyslogIntake(settings, this.tenants, this.metrics, this.writer);
    const bound: Record<string, number> = {};
    const plain = [
      { tenant: undefined as string | undefined, tcp: settings.tcpPort, udp: settings.udpPort },
    ].concat(settings.tenantPorts.map(({ tenant, port }) => ({ tenant, tcp: port, udp: port })));
    for (const { tenant, tcp, udp } of plain) {
      const label = tenant === undefined ? '' : `:${tenant}`;
      if (tcp !== 0) {
        const server = createServer((socket) => this.accept(socket, 'tcp', tenant, intake, settings));
        bound[`tcp${label}`] = await this.listen(server, tcp, settings.host);
      }
      if (udp !== 0) {
        const listener = new SyslogUdpListener(udp, tenant, settings, intake, this.writer, this.metrics);
        bound[`udp${label}`] = await listener.listen();
        this.udp.push(listener);
      }
    }
    if (settings.tls !== undefined) {
      const { cert, key, ca, clientTenants, port } = settings.tls;
      const server = createTlsServer(
        {
          cert,
          key,
          ca,
          requestCert: ca !== undefined,
          rejectUnauthorized: ca !== undefined,
          minVersion: 'TLSv1.2',
        },
        (socket: TLSSocket) => {
          const commonName = ca === undefined ? undefined : socket.getPeerCertificate()?.subject?.CN;
          const tenant = typeof commonName === 'string' ? clientTenants.get(commonName) : undefined;
          this.accept(socket, 'tls', tenant, intake, settings);
        },
      );
      server.on('tlsClientError', (error, socket) => {
        this.metrics.connectionsRefused.inc({ reason: 'tls_handshake' });
        this.throttled.warn('tls_handshake', {
          message: 'syslog TLS handshake failed',
          peer: socket.remoteAddress,
          error: error.message,
        });
      });
      bound['tls'] = await this.listen(server, port, settings.host);
    }
    this.metrics.udpPorts = Object.entries(bound)
      .filter(([name]) => name.startsWith('udp'))
      .map(([, port]) => port);
    this.logger.log({ message: 'syslog listeners ready', host: settings.host, ports: bound });
  }

  /** The validated config as one object (ConfigService hands out one variable at a time). */
  private configValues(): IngestConfig {
    const names = Object.keys(new IngestConfig()) as (keyof IngestConfig)[];
    const values: Record<string, unknown> = {};
    for (const name of names.concat([
      'SYSLOG_TLS_CERT',
      'SYSLOG_TLS_KEY',
      'SYSLOG_TLS_CA',
      'SYSLOG_TLS_CLIENT_TENANTS',
      'SYSLOG_TENANT_PORTS',
    ] as (keyof IngestConfig)[])) {
      values[name] = this.config.get(name, { infer: true });
    }
    return values as unknown as IngestConfig;
  }

  private listen(server: Server, port: number, host: string): Promise<number> {
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  private accept(
    socket: Socket,
    transport: SyslogTransport,
    tenant: string | undefined,
    intake: SyslogIntake,
    settings: SyslogSettings,
  ): void {
    const ip = socket.remoteAddress ?? '?';
    const open = this.perIp.get(ip) ?? 0;
    if (open >= settings.maxConnectionsPerIp) {
      this.metrics.connectionsRefused.inc({ reason: 'per_ip_limit' });
      this.throttled.warn('per_ip_limit', {
        message: 'syslog connection refused: SYSLOG_MAX_CONNECTIONS_PER_IP reached',
        peer: ip,
        limit: settings.maxConnectionsPerIp,
      });
      socket.destroy();
      return;
    }
    this.perIp.set(ip, open + 1);
    this.metrics.connectionsTotal.inc({ transport });
    this.metrics.connectionsOpen.inc({ transport });
    const connection = new SyslogConnection(socket, transport, tenant, {
      settings,
      intake,
      writer: this.writer,
      metrics: this.metrics,
      accepting: () => this.backlog.state.accepting,
      pollIntervalMs: Math.min(this.config.get('BACKLOG_CHECK_INTERVAL_MS', { infer: true }), 250),
    });
    this.connections.add(connection);
    void connection.done.then(() => {
      this.connections.delete(connection);
      this.metrics.connectionsOpen.dec({ transport });
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left === 0) this.perIp.delete(ip);
      else this.perIp.set(ip, left);
    });
    connection.start();
  }

  /**
   * Stop accepting, stop reading, queue what was already framed, then close: before Redis closes
   * (onApplicationShutdown), within the shutdown budget.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.settings === undefined) return;
    const budget = this.config.get('SHUTDOWN_TIMEOUT_MS', { infer: true });
    const deadlineAt = Date.now() + Math.floor(budget / 2);
    for (const server of this.servers) server.close();
    const draining = [...this.connections].map((connection) => connection.stop(deadlineAt));
    draining.push(...this.udp.map((listener) => listener.close()));
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadlineAt - Date.now()) + 1000);
    });
    const outcome = await Promise.race([Promise.all(draining), outOfTime]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn({
        message: 'syslog connections still open at the end of the shutdown budget',
        open: this.connections.size,
      });
    }
    this.logger.log({ message: 'syslog listeners closed' });
  }
}
