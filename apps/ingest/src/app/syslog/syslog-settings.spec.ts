import { IngestConfig } from '../ingest.config';
import { readSyslogSettings, SyslogConfigError } from './syslog-settings';

function config(overrides: Partial<IngestConfig>): IngestConfig {
  return Object.assign(new IngestConfig(), { SYSLOG_ENABLED: true }, overrides);
}

describe('readSyslogSettings', () => {
  it('reads the defaults: TCP and UDP 5514, no TLS, UTC, batches no larger than MAX_BATCH_ENTRIES', () => {
    const settings = readSyslogSettings(config({ SYSLOG_BATCH_ENTRIES: 5000, MAX_BATCH_ENTRIES: 1000 }));
    expect(settings).toMatchObject({ tcpPort: 5514, udpPort: 5514, timeZone: 'UTC', batchEntries: 1000 });
    expect(settings.tls).toBeUndefined();
  });

  it('parses tenant ports', () => {
    expect(readSyslogSettings(config({ SYSLOG_TENANT_PORTS: 'acme:5515, globex:5516' })).tenantPorts).toEqual(
      [
        { tenant: 'acme', port: 5515 },
        { tenant: 'globex', port: 5516 },
      ],
    );
  });

  it.each([
    [{ SYSLOG_TLS_CERT: '/x.pem' }, /SYSLOG_TLS_CERT and SYSLOG_TLS_KEY go together/],
    [{ SYSLOG_TLS_CLIENT_TENANTS: 'host:acme' }, /needs SYSLOG_TLS_CA/],
    [{ SYSLOG_TENANT_PORTS: 'acme:5514' }, /both use TCP port 5514/],
    [{ SYSLOG_TENANT_PORTS: 'acme:3000' }, /both use TCP port 3000/],
    [{ SYSLOG_TENANT_PORTS: 'acme:70000' }, /above 65535/],
    [
      { SYSLOG_TLS_CERT: '/nonexistent.pem', SYSLOG_TLS_KEY: '/nonexistent.key' },
      /SYSLOG_TLS_CERT \/nonexistent.pem cannot be read: ENOENT/,
    ],
    [{ HOST: 'example.com' }, /HOST must be an IP address/],
  ])('refuses %j naming the variable', (overrides, message) => {
    expect(() => readSyslogSettings(config(overrides as Partial<IngestConfig>))).toThrow(SyslogConfigError);
    expect(() => readSyslogSettings(config(overrides as Partial<IngestConfig>))).toThrow(message);
  });
});
