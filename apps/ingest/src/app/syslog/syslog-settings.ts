import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import type { EntryTimeLimits } from '@logpipe/log-schema';
import type { IngestConfig } from '../ingest.config';

/** A problem with the SYSLOG_* variables found at start; the message names the variable. */
export class SyslogConfigError extends Error {
  override readonly name = 'SyslogConfigError';
}

export interface SyslogTlsSettings {
  readonly port: number;
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
  /** Subject CN -> tenant. */
  readonly clientTenants: ReadonlyMap<string, string>;
}

/** The SYSLOG_* variables, checked together and with the TLS files read: what the listeners run on. */
export interface SyslogSettings {
  readonly host: string;
  readonly tcpPort: number;
  readonly udpPort: number;
  readonly tls?: SyslogTlsSettings;
  readonly tenantPorts: readonly { tenant: string; port: number }[];
  readonly keyElementId: string;
  readonly timeZone: string;
  readonly maxMessageBytes: number;
  readonly maxLineBytes: number;
  readonly maxConnectionsPerIp: number;
  readonly idleTimeoutMs: number;
  readonly frameTimeoutMs: number;
  /** Entries per ingestEach call: SYSLOG_BATCH_ENTRIES, never above MAX_BATCH_ENTRIES. */
  readonly batchEntries: number;
  readonly udpQueueEntries: number;
  /** ENTRY_MAX_AGE / ENTRY_MAX_FUTURE: a header time outside them gives way to the receipt time. */
  readonly timeLimits: EntryTimeLimits;
}

function pairs(text: string | undefined): [string, string][] {
  if (text === undefined) return [];
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      const colon = item.lastIndexOf(':');
      return [item.slice(0, colon).trim(), item.slice(colon + 1).trim()];
    });
}

function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new SyslogConfigError(
      `${variable} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

export function readSyslogSettings(config: IngestConfig): SyslogSettings {
  const { SYSLOG_TLS_CERT: certPath, SYSLOG_TLS_KEY: keyPath } = config;
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new SyslogConfigError(
      'SYSLOG_TLS_CERT and SYSLOG_TLS_KEY go together: set both (TLS on) or neither',
    );
  }
  const clientTenants = new Map(pairs(config.SYSLOG_TLS_CLIENT_TENANTS));
  if (clientTenants.size > 0 && config.SYSLOG_TLS_CA === undefined) {
    throw new SyslogConfigError(
      'SYSLOG_TLS_CLIENT_TENANTS needs SYSLOG_TLS_CA: a client certificate only names a tenant once it is verified',
    );
  }
  const tls: SyslogTlsSettings | undefined =
    certPath !== undefined && keyPath !== undefined && config.SYSLOG_TLS_PORT !== 0
      ? {
          port: config.SYSLOG_TLS_PORT,
          cert: readPem('SYSLOG_TLS_CERT', certPath),
          key: readPem('SYSLOG_TLS_KEY', keyPath),
          ca: config.SYSLOG_TLS_CA === undefined ? undefined : readPem('SYSLOG_TLS_CA', config.SYSLOG_TLS_CA),
          clientTenants,
        }
      : undefined;
  const tenantPorts = pairs(config.SYSLOG_TENANT_PORTS).map(([tenant, port]) => ({
    tenant,
    port: Number(port),
  }));
  const streamPorts = [
    ['SYSLOG_TCP_PORT', config.SYSLOG_TCP_PORT],
    ['SYSLOG_TLS_PORT', tls?.port ?? 0],
    ['PORT', config.PORT],
    ...tenantPorts.map(({ tenant, port }) => [`SYSLOG_TENANT_PORTS (${tenant})`, port] as const),
  ] as const;
  const seen = new Map<number, string>();
  for (const [name, port] of streamPorts) {
    if (port === 0) continue;
    if (port > 65535) throw new SyslogConfigError(`${name}: port ${port} is above 65535`);
    const previous = seen.get(port);
    if (previous !== undefined)
      throw new SyslogConfigError(`${name} and ${previous} both use TCP port ${port}`);
    seen.set(port, name);
  }
  if (tenantPorts.some(({ port }) => port === config.SYSLOG_UDP_PORT && port !== 0)) {
    throw new SyslogConfigError('SYSLOG_TENANT_PORTS uses the same UDP port as SYSLOG_UDP_PORT');
  }
  if (config.HOST !== '' && isIP(config.HOST) === 0 && config.HOST !== 'localhost') {
    // dgram binds an address, not a name that might resolve to several.
    throw new SyslogConfigError(
      `HOST must be an IP address (or localhost) for the syslog listeners, got ${config.HOST}`,
    );
  }
  return {
    host: config.HOST,
    tcpPort: config.SYSLOG_TCP_PORT,
    udpPort: config.SYSLOG_UDP_PORT,
    tls,
    tenantPorts,
    keyElementId: config.SYSLOG_KEY_SD_ID,
    timeZone: config.SYSLOG_TIMEZONE,
    maxMessageBytes: config.SYSLOG_MAX_MESSAGE_BYTES,
    maxLineBytes: config.SYSLOG_MAX_LINE_BYTES,
    maxConnectionsPerIp: config.SYSLOG_MAX_CONNECTIONS_PER_IP,
    idleTimeoutMs: config.SYSLOG_IDLE_TIMEOUT_MS,
    frameTimeoutMs: config.SYSLOG_FRAME_TIMEOUT_MS,
    batchEntries: Math.min(config.SYSLOG_BATCH_ENTRIES, config.MAX_BATCH_ENTRIES),
    udpQueueEntries: config.SYSLOG_UDP_QUEUE_ENTRIES,
    timeLimits: { maxAgeMs: config.ENTRY_MAX_AGE, maxFutureMs: config.ENTRY_MAX_FUTURE },
  };
}
