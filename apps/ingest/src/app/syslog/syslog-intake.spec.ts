import type { SyslogBatchWriter } from './syslog-batch.writer';
import { SyslogIntake } from './syslog-intake';
import type { SyslogSettings } from './syslog-settings';
import type { SyslogTenants } from './syslog-tenants';
import type { SyslogMetrics } from './syslog.metrics';

const HOUR = 3_600_000;

/** The intake over fakes: every message is the default tenant's; counters record their increments. */
function intake(timeLimits = { maxAgeMs: 24 * HOUR, maxFutureMs: HOUR }) {
  const retimed: string[] = [];
  const counter = { inc: () => undefined, labels: () => ({ inc: () => undefined }) };
  const metrics = {
    messagesReceived: counter,
    parseErrors: counter,
    messagesDropped: counter,
    messagesRetimed: { inc: ({ transport }: { transport: string }) => retimed.push(transport) },
  } as unknown as SyslogMetrics;
  const settings = { timeZone: 'UTC', keyElementId: 'logpipe@32473', timeLimits } as SyslogSettings;
  const tenants = { resolve: () => ({ tenant: 'default' }) } as unknown as SyslogTenants;
  const writer = { countRefused: () => undefined } as Pick<SyslogBatchWriter, 'countRefused'>;
  return { intake: new SyslogIntake(settings, tenants, metrics, writer), retimed };
}

const frame = (isoTime: string) => Buffer.from(`<165>1 ${isoTime} host app 1 ID1 - hello`);

describe('SyslogIntake: header times outside ENTRY_MAX_AGE / ENTRY_MAX_FUTURE', () => {
  it('keeps a header time inside the limits as the entry time', () => {
    const { intake: subject, retimed } = intake();
    const time = new Date(Date.now() - HOUR).toISOString();
    const taken = subject.take(frame(time), 'tcp', undefined, '127.0.0.1');
    expect(taken?.entry.timestamp).toBe(Date.parse(time));
    expect(taken?.entry.attributes.syslog.header_time).toBeUndefined();
    expect(retimed).toEqual([]);
  });

  it('stores a message from a wrong clock at its receipt time, the header time kept and counted', () => {
    const { intake: subject, retimed } = intake();
    // The RFC 5424 example's 2003 time: older than ENTRY_MAX_AGE, and an hour ahead: past ENTRY_MAX_FUTURE.
    const old = subject.take(frame('2003-10-11T22:14:15.003Z'), 'tcp', undefined, '127.0.0.1');
    const ahead = new Date(Date.now() + 2 * HOUR).toISOString();
    const future = subject.take(frame(ahead), 'udp', undefined, '127.0.0.1');
    expect(old?.entry.timestamp).toBeUndefined();
    expect(old?.entry.attributes.syslog.header_time).toBe('2003-10-11T22:14:15.003Z');
    expect(old?.entry).toMatchObject({ message: 'hello', service: 'app', level: 'info' });
    expect(old?.entry.attributes.syslog).toMatchObject({ hostname: 'host', msgid: 'ID1' });
    expect(future?.entry.timestamp).toBeUndefined();
    expect(future?.entry.attributes.syslog.header_time).toBe(ahead);
    expect(retimed).toEqual(['tcp', 'udp']);
  });

  it('applies no bound that is switched off (0)', () => {
    const { intake: subject, retimed } = intake({ maxAgeMs: 0, maxFutureMs: 0 });
    const taken = subject.take(frame('2003-10-11T22:14:15.003Z'), 'tcp', undefined, '127.0.0.1');
    expect(taken?.entry.timestamp).toBe(Date.parse('2003-10-11T22:14:15.003Z'));
    expect(retimed).toEqual([]);
  });
});
