import { findFreePortBase, PrivateStack, waitFor } from '@logpipe/e2e-support';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '@logpipe/e2e-support';
import { sendTcp, sendUdp } from './support/senders';
import { type Daemon, startRsyslog } from './support/syslog-daemons';

/**
 * Syslog through the front door: the one-command stack (nginx's stream module balancing TCP and UDP
 * over two ingest instances) with rsyslog forwarding to it as an operator would.
 */
describe('syslog through nginx', () => {
  const suffix = randomBytes(4).toString('hex');
  const workDir = mkdtempSync(join(tmpdir(), 'logpipe-syslog-nginx-'));
  let stack: PrivateStack;
  let db: Client;
  let rsyslog: Daemon | undefined;
  let syslogPort = 0;

  const count = async (marker: string) =>
    (
      await db.query<{ n: number }>('SELECT count(*)::int AS n FROM logs WHERE message LIKE $1', [
        `%${marker}%`,
      ])
    ).rows[0].n;

  beforeAll(async () => {
    const start = 19000 + Math.floor(Math.random() * 300) * 10;
    stack = new PrivateStack(await findFreePortBase(start, 10), {});
    stack.up();
    syslogPort = Number(stack.env.SYSLOG_ADDR.split(':')[1]);
    db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    await rsyslog?.stop();
    await db?.end();
    stack?.down();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('rsyslog over TCP (octet counting) through nginx: exactly N rows, spread over both ingest instances', async () => {
    const marker = `nginx-tcp-${suffix}`;
    const total = 500;
    const input = await freePort();
    rsyslog = startRsyslog(
      join(workDir, 'rsyslog'),
      `module(load="imtcp")
input(type="imtcp" port="${input}" address="127.0.0.1" ruleset="forward")
ruleset(name="forward") {
  action(type="omfwd" target="127.0.0.1" port="${syslogPort}" protocol="tcp" tcp_framing="octet-counted"
    template="RSYSLOG_SyslogProtocol23Format" queue.type="LinkedList" action.resumeRetryCount="-1" action.resumeInterval="1")
}
`,
    );
    await rsyslog.waitListening(input);
    await sendTcp(
      input,
      Array.from(
        { length: total },
        (_, i) => `<11>Nov 29 12:00:00 db-1 postgres[7]: slow query ${i} ${marker}\n`,
      ).join(''),
    );
    await waitFor(`${total} rows`, async () => (await count(marker)) >= total, 90000, 250);
    expect(await count(marker)).toBe(total);
    const { rows } = await db.query(
      'SELECT level, service, tenant, attributes FROM logs WHERE message LIKE $1 LIMIT 1',
      [`%${marker}%`],
    );
    expect(rows[0]).toMatchObject({
      level: 'error',
      service: 'postgres',
      tenant: 'default',
      attributes: { syslog: { hostname: 'db-1', procid: '7', format: 'rfc5424' } },
    });
  });

  it('UDP through nginx, light load: all N arrive', async () => {
    const marker = `nginx-udp-${suffix}`;
    const total = 200;
    await sendUdp(
      syslogPort,
      Array.from({ length: total }, (_, i) => `<13>Nov 29 12:00:00 sw-1 lldpd: neighbour ${i} ${marker}`),
      10,
      5,
    );
    await waitFor(`${total} rows`, async () => (await count(marker)) >= total, 60000, 250);
    expect(await count(marker)).toBe(total);
  });
});
