import {
  freePort,
  type ServiceProcess,
  startIngest,
  startWorker,
  suiteWorkerEnv,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  TestSchema,
  waitFor,
} from '@logpipe/e2e-support';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricValue, scrape } from './support/metrics';
import { octetCounted, openTcp, sendTcp } from './support/senders';
import { type Daemon, makeTestCa, startRsyslog, startSyslogNg } from './support/syslog-daemons';

interface Row {
  level: string;
  service: string;
  message: string;
  tenant: string;
  ts: Date;
  attributes: { syslog: Record<string, unknown> } | null;
}

const N = 300;
const MAX_MESSAGE_BYTES = 4096;

/**
 * The real daemons (rsyslog, syslog-ng) as operators configure them, sending to a real ingest and
 * worker: every message lands exactly once with its fields mapped, per tenant; and a corpus of
 * real-world and broken input is stored or refused as docs/protocols/syslog.md says.
 */
describe('syslog from rsyslog and syslog-ng', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `syslog-e2e:${suffix}:stream`;
  const deadKey = `syslog-e2e:${suffix}:dead`;
  const keys = {
    acme: `acme-${randomBytes(16).toString('hex')}`,
    globex: `globex-${randomBytes(16).toString('hex')}`,
  };
  const schema = new TestSchema('syslog_e2e');
  const workDir = mkdtempSync(join(tmpdir(), 'logpipe-syslog-e2e-'));
  const daemons: Daemon[] = [];
  let ingest: ServiceProcess;
  let worker: ServiceProcess;
  let tls: ReturnType<typeof makeTestCa>;
  const ports = { tcp: 0, tenant: 0, tls: 0 };

  const rows = async (marker: string): Promise<Row[]> =>
    (
      await schema.pool.query<Row>(
        'SELECT level, service, message, tenant, ts, attributes FROM logs WHERE message LIKE $1 ORDER BY message',
        [`%${marker}%`],
      )
    ).rows;

  const waitForRows = async (marker: string, count: number): Promise<Row[]> => {
    await waitFor(
      `${count} rows marked ${marker}`,
      async () => (await schema.count('message LIKE $1', [`%${marker}%`])) >= count,
      90000,
      200,
    );
    return rows(marker);
  };

  const daemon = <T extends Daemon>(started: T): T => {
    daemons.push(started);
    return started;
  };

  beforeAll(async () => {
    tls = makeTestCa(join(workDir, 'ca'), 'sng-client');
    ports.tcp = await freePort();
    ports.tenant = await freePort();
    ports.tls = await freePort();
    await schema.create();
    ingest = await startIngest(`syslog-e2e-ingest-${suffix}`, {
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: streamKey,
      DATABASE_URL: TEST_DATABASE_URL,
      DB_SCHEMA: schema.name,
      API_KEYS: `acme:${keys.acme},globex:${keys.globex}`,
      SYSLOG_ENABLED: 'true',
      SYSLOG_TCP_PORT: String(ports.tcp),
      SYSLOG_UDP_PORT: String(ports.tcp),
      SYSLOG_TENANT_PORTS: `globex:${ports.tenant}`,
      SYSLOG_TLS_PORT: String(ports.tls),
      SYSLOG_TLS_CERT: tls.serverCert,
      SYSLOG_TLS_KEY: tls.serverKey,
      SYSLOG_TLS_CA: tls.ca,
      SYSLOG_TLS_CLIENT_TENANTS: 'sng-client:acme',
      SYSLOG_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
      SYSLOG_MAX_LINE_BYTES: String(MAX_MESSAGE_BYTES),
      SYSLOG_FRAME_TIMEOUT_MS: '1500',
    });
    worker = await startWorker(
      `syslog-e2e-worker-${suffix}`,
      suiteWorkerEnv({ streamKey, deadKey, schema: schema.name }),
    );
  });

  afterEach(async () => {
    await Promise.all(daemons.splice(0).map((started) => started.stop()));
  });

  afterAll(async () => {
    await Promise.all(daemons.splice(0).map((started) => started.stop()));
    await worker?.stop();
    await ingest?.stop();
    await schema.drop();
    const redis = new Redis(TEST_REDIS_URL);
    await redis.del(streamKey, deadKey);
    redis.disconnect();
    rmSync(workDir, { recursive: true, force: true });
  });

  const bsdLines = (marker: string, count: number, app = 'checkout'): string =>
    Array.from(
      { length: count },
      (_, i) => `<14>Nov 29 12:00:00 web-01 ${app}[42]: order ${String(i).padStart(4, '0')} ${marker}\n`,
    ).join('');

  it('rsyslog, omfwd over TCP with octet counting and the key in structured data: N sent, exactly N rows of the key tenant', async () => {
    const marker = `rs-tcp-${suffix}`;
    const input = await freePort();
    const dir = join(workDir, 'rsyslog-tcp');
    const rsyslog = daemon(
      startRsyslog(
        dir,
        `module(load="imtcp")
input(type="imtcp" port="${input}" address="127.0.0.1" ruleset="forward")
template(name="LogpipeKeyed" type="string"
  string="<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID% %MSGID% [logpipe@32473 key=\\"${keys.acme}\\"]%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%")
ruleset(name="forward") {
  action(type="omfwd" target="127.0.0.1" port="${ports.tcp}" protocol="tcp" tcp_framing="octet-counted"
    template="LogpipeKeyed" queue.type="LinkedList" queue.size="100000"
    action.resumeRetryCount="-1" action.resumeInterval="1")
}
`,
      ),
    );
    await rsyslog.waitListening(input);
    await sendTcp(input, bsdLines(marker, N));
    const stored = await waitForRows(marker, N);
    expect(stored).toHaveLength(N);
    expect(new Set(stored.map((row) => row.message)).size).toBe(N);
    expect(stored[0]).toMatchObject({
      level: 'info',
      service: 'checkout',
      message: `order 0000 ${marker}`,
      tenant: 'acme',
      attributes: {
        syslog: { format: 'rfc5424', facility: 'user', severity: 'info', hostname: 'web-01', procid: '42' },
      },
    });
    // The key element is taken out before storing.
    expect(JSON.stringify(stored)).not.toContain(keys.acme);
  });

  it('rsyslog, omfwd over UDP to a tenant port, light load: all N arrive', async () => {
    const marker = `rs-udp-${suffix}`;
    const input = await freePort();
    const rsyslog = daemon(
      startRsyslog(
        join(workDir, 'rsyslog-udp'),
        `module(load="imtcp")
input(type="imtcp" port="${input}" address="127.0.0.1" ruleset="forward")
ruleset(name="forward") {
  action(type="omfwd" target="127.0.0.1" port="${ports.tenant}" protocol="udp" template="RSYSLOG_ForwardFormat")
}
`,
      ),
    );
    await rsyslog.waitListening(input);
    // imtcp reads the lines at its own pace and omfwd sends each as a datagram: light load.
    await sendTcp(input, bsdLines(marker, 200, 'billing'));
    const stored = await waitForRows(marker, 200);
    expect(stored).toHaveLength(200);
    expect(stored[0]).toMatchObject({
      service: 'billing',
      tenant: 'globex',
      attributes: { syslog: { format: 'rfc3164', hostname: 'web-01', procid: '42' } },
    });
  });

  it('syslog-ng, network() over TCP (BSD, newline framing) to a tenant port: exactly N rows', async () => {
    const marker = `sng-tcp-${suffix}`;
    const input = await freePort();
    const dir = join(workDir, 'sng-tcp');
    const sng = daemon(
      startSyslogNg(
        dir,
        `@version: 3.38
options { time-reopen(1); keep-hostname(yes); stats-freq(0); };
source s_in { network(ip("127.0.0.1") port(${input}) transport("tcp")); };
destination d_logpipe { network("127.0.0.1" port(${ports.tenant}) transport("tcp")); };
log { source(s_in); destination(d_logpipe); };
`,
      ),
    );
    await sng.waitListening(input);
    await sendTcp(input, bsdLines(marker, N, 'inventory'));
    const stored = await waitForRows(marker, N);
    expect(stored).toHaveLength(N);
    expect(new Set(stored.map((row) => row.message)).size).toBe(N);
    expect(stored[0]).toMatchObject({
      service: 'inventory',
      tenant: 'globex',
      message: `order 0000 ${marker}`,
      attributes: { syslog: { format: 'rfc3164', hostname: 'web-01', procid: '42', facility: 'user' } },
    });
  });

  it('syslog-ng, syslog() over TCP with the key set in structured data by a rewrite (the documented config): exactly N rows of the key tenant', async () => {
    const marker = `sng-key-${suffix}`;
    const input = await freePort();
    const sng = daemon(
      startSyslogNg(
        join(workDir, 'sng-key'),
        `@version: 3.38
options { time-reopen(1); keep-hostname(yes); stats-freq(0); };
source s_in { network(ip("127.0.0.1") port(${input}) transport("tcp")); };
rewrite r_logpipe_key { set("${keys.globex}" value(".SDATA.logpipe@32473.key")); };
destination d_logpipe { syslog("127.0.0.1" port(${ports.tcp}) transport("tcp")); };
log { source(s_in); rewrite(r_logpipe_key); destination(d_logpipe); };
`,
      ),
    );
    await sng.waitListening(input);
    await sendTcp(input, bsdLines(marker, N, 'shipping'));
    const stored = await waitForRows(marker, N);
    expect(stored).toHaveLength(N);
    expect(stored[0]).toMatchObject({
      service: 'shipping',
      tenant: 'globex',
      message: `order 0000 ${marker}`,
      attributes: { syslog: { format: 'rfc5424', hostname: 'web-01', procid: '42' } },
    });
    expect(JSON.stringify(stored)).not.toContain(keys.globex);
  });

  it('syslog-ng, syslog() over TLS with a client certificate: exactly N rows of the certificate tenant', async () => {
    const marker = `sng-tls-${suffix}`;
    const input = await freePort();
    const sng = daemon(
      startSyslogNg(
        join(workDir, 'sng-tls'),
        `@version: 3.38
options { time-reopen(1); keep-hostname(yes); stats-freq(0); };
source s_in { network(ip("127.0.0.1") port(${input}) transport("tcp")); };
destination d_logpipe {
  syslog("localhost" port(${ports.tls}) transport("tls") ip-protocol(4)
    tls(ca-file("${tls.ca}") cert-file("${tls.clientCert}") key-file("${tls.clientKey}") peer-verify(required-trusted)));
};
log { source(s_in); destination(d_logpipe); };
`,
      ),
    );
    await sng.waitListening(input);
    await sendTcp(input, bsdLines(marker, N, 'payments'));
    const stored = await waitForRows(marker, N);
    expect(stored).toHaveLength(N);
    expect(stored[0]).toMatchObject({
      service: 'payments',
      tenant: 'acme',
      message: `order 0000 ${marker}`,
      attributes: { syslog: { format: 'rfc5424', hostname: 'web-01', procid: '42' } },
    });
  });

  it('drops a message with a wrong key or none (keys configured), counted, logged without the key, nothing stored', async () => {
    const marker = `bad-key-${suffix}`;
    const wrong = `wrong-${randomBytes(16).toString('hex')}`;
    const before = await scrape(ingest.url);
    await sendTcp(
      ports.tcp,
      octetCounted([
        ...Array.from(
          { length: 5 },
          (_, i) => `<13>1 - h app - - [logpipe@32473 key="${wrong}"] wrong ${i} ${marker}`,
        ),
        `<13>1 - h app - - - no key ${marker}`,
        `<13>1 - h app - - [logpipe@32473 key="${keys.acme}"] good ${marker}`,
      ]),
    );
    await waitForRows(marker, 1);
    const after = await scrape(ingest.url);
    const dropped = (reason: string) =>
      metricValue(after, 'logpipe_syslog_messages_dropped_total', { reason }) -
      metricValue(before, 'logpipe_syslog_messages_dropped_total', { reason });
    expect(dropped('wrong_key')).toBe(5);
    expect(dropped('missing_key')).toBe(1);
    expect((await rows(marker)).map((row) => row.message)).toEqual([`good ${marker}`]);
    expect(ingest.logs()).not.toContain(wrong);
    expect(ingest.logs()).toContain('its API key is not configured');
  });

  it('stores or refuses a corpus of real-world and broken input as documented, and stays up with bounded memory', async () => {
    const marker = `corpus-${suffix}`;
    const rss = () =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${ingest.pid}/status`, 'utf8'))?.[1]) * 1024;
    const before = await scrape(ingest.url);
    const rssBefore = rss();
    const BOM = '\uFEFF';
    const corpus = [
      // RFC 5424 section 6.5, examples 1-4.
      `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8 ${marker}`,
      `<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts. ${marker}`,
      `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry... ${marker}`,
      `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] ${marker}`,
      // Devices.
      `<189>123: *Mar  1 00:01:02.345: %LINK-3-UPDOWN: Interface FastEthernet0/1, changed state to up ${marker}`,
      `<166>Nov 29 2026 11:00:00: %ASA-6-302013: Built outbound TCP connection 1 ${marker}`,
      `<28>Nov 29 11:00:00 fw01 mgd[1234]: UI_COMMIT: User 'admin' requested 'commit' ${marker}`,
      `<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick ${marker}`,
      // Malformed: no PRI, broken structured data -> raw text with parse_error.
      `no priority at all ${marker}`,
      `<14>1 - - app - - [x@1 a="unterminated] ${marker}`,
    ];
    // Example 4 has no MSG of its own; the marker rides in a trailing SD-free tail, so it is the message.
    await sendTcp(ports.tenant, corpus.map((line) => `${line}\n`).join(''));
    // An octet count over SYSLOG_MAX_MESSAGE_BYTES: skipped as it streams past, the next frame is read.
    const oversized = `<13>1 - - big - - - ${'x'.repeat(MAX_MESSAGE_BYTES * 4)}`;
    await sendTcp(ports.tenant, octetCounted([oversized, `<13>1 - - after - - - after-oversize ${marker}`]));
    // A newline-framed line of 5 MB: refused up to its LF without being held, the next line is read.
    const socket = await openTcp(ports.tenant);
    for (let i = 0; i < 80; i += 1) socket.write('y'.repeat(64 * 1024));
    socket.end(`\n<13>after the long line ${marker}\n`);
    // A partial frame that stalls: the connection is closed after SYSLOG_FRAME_TIMEOUT_MS (1.5 s).
    const stalled = await openTcp(ports.tenant);
    const closed = new Promise<void>((resolve) => stalled.on('close', () => resolve()));
    stalled.on('error', () => undefined);
    stalled.write(`200 <13>1 - - partial - - - never finished ${marker}`);
    await closed;

    const stored = await waitForRows(marker, corpus.length + 2);
    expect(stored).toHaveLength(corpus.length + 2);
    const byStart = (start: string) => stored.find((row) => row.message.startsWith(start));
    expect(byStart("'su root' failed for lonvick on")).toMatchObject({
      level: 'fatal',
      service: 'su',
      attributes: {
        syslog: {
          format: 'rfc5424',
          msgid: 'ID47',
          hostname: 'mymachine.example.com',
          // 2003 is older than ENTRY_MAX_AGE: stored at its receipt time, the header's time kept.
          header_time: '2003-10-11T22:14:15.003Z',
        },
      },
    });
    expect(byStart('An application event')?.attributes?.syslog.sd).toEqual({
      'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
    });
    expect(byStart('%LINK-3-UPDOWN')?.attributes?.syslog).toMatchObject({
      sequence: '123',
      mnemonic: 'LINK-3-UPDOWN',
    });
    expect(byStart('no priority at all')).toMatchObject({
      level: 'info',
      service: 'syslog',
      attributes: { syslog: { parse_error: 'no valid <PRI> at the start' } },
    });
    expect(byStart('<14>1 - - app')?.attributes?.syslog.parse_error).toMatch(/closing quote/);
    expect(byStart('after-oversize')).toBeDefined();
    expect(byStart('after the long line')).toBeDefined();
    expect(stored.every((row) => row.tenant === 'globex')).toBe(true);
    expect(stored.some((row) => row.message.includes('never finished'))).toBe(false);

    const after = await scrape(ingest.url);
    const refused = (reason: string) =>
      metricValue(after, 'logpipe_syslog_frames_refused_total', { reason }) -
      metricValue(before, 'logpipe_syslog_frames_refused_total', { reason });
    expect(refused('octet-count-too-large')).toBe(1);
    expect(refused('line-too-long')).toBe(1);
    expect(refused('incomplete-frame')).toBe(1);
    expect(
      metricValue(after, 'logpipe_syslog_connections_closed_total', { reason: 'partial_frame' }) -
        metricValue(before, 'logpipe_syslog_connections_closed_total', { reason: 'partial_frame' }),
    ).toBe(1);
    expect(ingest.isRunning).toBe(true);
    // 5 MB went through the framer; a framer that buffered it would have grown by about that much.
    expect(rss() - rssBefore).toBeLessThan(32 * 1024 * 1024);
  });
});
