import { validateLogEntry } from '@logpipe/log-schema';
import fc from 'fast-check';
import { decodeSyslogFrame, type SyslogDecodeOptions } from './syslog-entry.mapper';

// Received 2026-11-29T12:00:00Z unless a test says otherwise.
const RECEIVED = Date.UTC(2026, 10, 29, 12, 0, 0);
const options: SyslogDecodeOptions = { receivedAt: RECEIVED, timeZone: 'UTC', keyElementId: 'logpipe@32473' };
const BOM = '\uFEFF';

function decode(text: string, overrides: Partial<SyslogDecodeOptions> = {}) {
  return decodeSyslogFrame(Buffer.from(text, 'utf8'), { ...options, ...overrides });
}

describe('RFC 5424 section 6.5 examples', () => {
  it('Example 1: no structured data, BOM before the message', () => {
    const { entry, parsed } = decode(
      `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`,
    );
    expect(parsed).toBe(true);
    expect(entry).toEqual({
      timestamp: Date.UTC(2003, 9, 11, 22, 14, 15, 3),
      level: 'fatal',
      service: 'su',
      message: "'su root' failed for lonvick on /dev/pts/8",
      attributes: {
        syslog: {
          format: 'rfc5424',
          facility: 'auth',
          severity: 'crit',
          hostname: 'mymachine.example.com',
          msgid: 'ID47',
        },
      },
    });
  });

  it('Example 2: microseconds and a zone offset, an IPv4 hostname, a procid, no BOM', () => {
    const { entry } = decode(
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
    );
    expect(entry.timestamp).toBe(Date.UTC(2003, 7, 24, 12, 14, 15, 0));
    expect(entry.level).toBe('info');
    expect(entry.service).toBe('myproc');
    expect(entry.message).toBe("%% It's time to make the do-nuts.");
    expect(entry.attributes.syslog).toEqual({
      format: 'rfc5424',
      facility: 'local4',
      severity: 'notice',
      hostname: '192.0.2.1',
      procid: '8710',
    });
  });

  it('Example 3: structured data and a message', () => {
    const { entry } = decode(
      `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`,
    );
    expect(entry.service).toBe('evntslog');
    expect(entry.message).toBe('An application event log entry...');
    expect(entry.attributes.syslog.sd).toEqual({
      'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
    });
  });

  it('Example 4: two structured data elements and no message (stored as "-")', () => {
    const { entry } = decode(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
    );
    expect(entry.message).toBe('-');
    expect(entry.attributes.syslog.sd).toEqual({
      'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
      'examplePriority@32473': { class: 'high' },
    });
  });
});

describe('RFC 5424 details', () => {
  it('unescapes \\" \\\\ \\] in parameter values and keeps any other backslash (6.3.3)', () => {
    const { entry } = decode('<14>1 - - app - - [x@1 a="q\\"b\\\\c\\]d\\ne"] m');
    expect(entry.attributes.syslog.sd).toEqual({ 'x@1': { a: 'q"b\\c]d\\ne' } });
  });

  it('reads NILVALUE fields as absent: no timestamp (receipt time), service falls back to syslog', () => {
    const { entry } = decode('<13>1 - - - - - - hello');
    expect(entry).toEqual({
      level: 'info',
      service: 'syslog',
      message: 'hello',
      attributes: { syslog: { format: 'rfc5424', facility: 'user', severity: 'notice' } },
    });
  });

  it('takes the hostname as service when there is no app-name', () => {
    expect(decode('<13>1 - web-7 - - - - hi').entry.service).toBe('web-7');
  });

  it('maps every severity onto the issue table', () => {
    const levels = [0, 1, 2, 3, 4, 5, 6, 7].map(
      (severity) => decode(`<${8 + severity}>1 - - a - - - m`).entry.level,
    );
    expect(levels).toEqual(['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug']);
  });

  it('takes the API key out of the key element and stores the rest of the structured data', () => {
    const decoded = decode('<14>1 - h app - - [logpipe@32473 key="s3cr\\"et"][meta@1 a="b"] m');
    expect(decoded.apiKey).toBe('s3cr"et');
    expect(decoded.entry.attributes.syslog.sd).toEqual({ 'meta@1': { a: 'b' } });
    expect(JSON.stringify(decoded.entry)).not.toContain('s3cr');
  });

  it('keeps repeated parameter names as a list', () => {
    expect(decode('<14>1 - - a - - [x@1 ip="1" ip="2"] m').entry.attributes.syslog.sd).toEqual({
      'x@1': { ip: ['1', '2'] },
    });
  });

  it('stores an unterminated structured data element as raw text with parse_error', () => {
    const text = '<14>1 - - a - - [x@1 a="b] m';
    const decoded = decode(text);
    expect(decoded.parsed).toBe(false);
    expect(decoded.entry.message).toBe(text);
    expect(decoded.entry.level).toBe('info');
    expect(decoded.entry.attributes.syslog.parse_error).toMatch(/closing quote/);
    expect(decoded.entry.attributes.syslog.severity).toBe('info');
  });

  it('stores a bad timestamp as raw text with parse_error', () => {
    expect(decode('<14>1 2003-13-45T99:00:00Z h a - - - m').entry.attributes.syslog.parse_error).toMatch(
      /TIMESTAMP/,
    );
  });

  it('keeps parse_error storable when it quotes a NUL of the message (found by the fuzz test)', () => {
    const { entry } = decode('<165>1 \u0000Oct 11 22:14:15 1 <13>');
    expect(entry.attributes.syslog.parse_error).toBe(
      'RFC 5424 TIMESTAMP is not an RFC 3339 date-time: \uFFFDOct',
    );
    expect(validateLogEntry(entry, Date.now()).ok).toBe(true);
  });

  it('replaces a NUL in header fields and structured data as in the message (found by the fuzz test)', () => {
    const { entry } = decode('<165>1 - h\u0000st app 12 ID\u0000 [x@1 k\u0000="v\u0000"] m\u0000');
    expect(entry.attributes.syslog).toMatchObject({
      hostname: 'h\uFFFDst',
      msgid: 'ID\uFFFD',
      sd: { 'x@1': { 'k\uFFFD': 'v\uFFFD' } },
    });
    expect(entry.message).toBe('m\uFFFD');
    expect(validateLogEntry(entry, Date.now()).ok).toBe(true);
  });

  it('drops structured data over the attributes limit instead of the message', () => {
    const { entry } = decode(`<14>1 - - a - - [x@1 big="${'v'.repeat(20_000)}"] m`);
    expect(entry.attributes.syslog.sd).toBeUndefined();
    expect(entry.attributes.syslog.sd_dropped).toBe(true);
    expect(validateLogEntry(entry, RECEIVED).ok).toBe(true);
  });
});

describe('BSD (RFC 3164) as devices send it', () => {
  it('RFC 3164 5.4 example 1: hostname and tag; the missing year is the receipt year', () => {
    const { entry } = decode("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
    expect(entry).toEqual({
      timestamp: Date.UTC(2026, 9, 11, 22, 14, 15),
      level: 'fatal',
      service: 'su',
      message: "'su root' failed for lonvick on /dev/pts/8",
      attributes: {
        syslog: { format: 'rfc3164', facility: 'auth', severity: 'crit', hostname: 'mymachine' },
      },
    });
  });

  it('RFC 3164 5.4 example 2: space-padded day, an address as hostname, no tag', () => {
    const { entry } = decode('<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!');
    // Received 2026-11-29: Feb 5 2027 is 68 days away, Feb 5 2026 is 297 days back; the closest wins.
    expect(entry.timestamp).toBe(Date.UTC(2027, 1, 5, 17, 32, 18));
    expect(entry.service).toBe('10.0.0.99');
    expect(entry.message).toBe('Use the BFG!');
  });

  it('takes last year for December received in early January, and next year for the reverse', () => {
    const newYear = Date.UTC(2027, 0, 1, 0, 5);
    expect(decode('<13>Dec 31 23:59:00 h a: m', { receivedAt: newYear }).entry.timestamp).toBe(
      Date.UTC(2026, 11, 31, 23, 59),
    );
    const newYearsEve = Date.UTC(2026, 11, 31, 23, 59);
    expect(decode('<13>Jan  1 00:01:00 h a: m', { receivedAt: newYearsEve }).entry.timestamp).toBe(
      Date.UTC(2027, 0, 1, 0, 1),
    );
  });

  it('reads the time in the configured zone (DST-aware)', () => {
    // 14:00 in Berlin in July is 12:00 UTC (CEST, +02:00); in November 13:00 UTC (CET, +01:00).
    expect(decode('<13>Jul  1 14:00:00 h a: m', { timeZone: 'Europe/Berlin' }).entry.timestamp).toBe(
      Date.UTC(2026, 6, 1, 12, 0),
    );
    expect(decode('<13>Nov 10 14:00:00 h a: m', { timeZone: 'Europe/Berlin' }).entry.timestamp).toBe(
      Date.UTC(2026, 10, 10, 13, 0),
    );
  });

  it('Linux daemon without hostname (local logger): TAG[pid]', () => {
    const { entry } = decode('<38>Nov 29 11:59:58 sshd[4123]: Accepted publickey for root from 10.1.2.3');
    expect(entry.service).toBe('sshd');
    expect(entry.message).toBe('Accepted publickey for root from 10.1.2.3');
    expect(entry.attributes.syslog).toEqual({
      format: 'rfc3164',
      facility: 'auth',
      severity: 'info',
      procid: '4123',
    });
  });

  it('rsyslog forwarding a Linux host: hostname, TAG[pid]', () => {
    const { entry } = decode('<30>Nov 29 11:59:58 web-01 systemd[1]: Started nginx.service.');
    expect(entry.service).toBe('systemd');
    expect(entry.attributes.syslog).toMatchObject({ hostname: 'web-01', procid: '1', facility: 'daemon' });
  });

  it('Cisco IOS: sequence number, unset clock (*), milliseconds, %FAC-SEV-MNEMONIC', () => {
    const { entry } = decode(
      '<189>123: *Mar  1 00:01:02.345: %LINK-3-UPDOWN: Interface FastEthernet0/1, changed state to up',
    );
    expect(entry.timestamp).toBeUndefined();
    expect(entry.level).toBe('info');
    expect(entry.service).toBe('syslog');
    expect(entry.message).toBe('%LINK-3-UPDOWN: Interface FastEthernet0/1, changed state to up');
    expect(entry.attributes.syslog).toEqual({
      format: 'rfc3164',
      facility: 'local7',
      severity: 'notice',
      sequence: '123',
      mnemonic: 'LINK-3-UPDOWN',
      device_time: '*Mar  1 00:01:02.345',
    });
  });

  it('Cisco IOS with origin-id hostname, a set clock, milliseconds and UTC shown', () => {
    const { entry } = decode(
      '<187>4711: core-sw1: Nov 29 11:58:01.250 UTC: %SYS-3-CPUHOG: Task ran for 2004 msec',
    );
    expect(entry.timestamp).toBe(Date.UTC(2026, 10, 29, 11, 58, 1, 250));
    expect(entry.level).toBe('error');
    expect(entry.service).toBe('core-sw1');
    expect(entry.attributes.syslog).toMatchObject({
      hostname: 'core-sw1',
      sequence: '4711',
      mnemonic: 'SYS-3-CPUHOG',
    });
  });

  it('Cisco ASA: year in the date, colon after the time, %ASA mnemonic', () => {
    const { entry } = decode(
      '<166>Nov 29 2026 11:00:00: %ASA-6-302013: Built outbound TCP connection 1 for outside',
    );
    expect(entry.timestamp).toBe(Date.UTC(2026, 10, 29, 11, 0, 0));
    expect(entry.attributes.syslog.mnemonic).toBe('ASA-6-302013');
  });

  it('Juniper/FortiGate-like devices: a hostname and tag, key=value payloads kept whole', () => {
    const junos = decode(
      "<28>Nov 29 11:00:00 fw01 mgd[1234]: UI_COMMIT: User 'admin' requested 'commit'",
    ).entry;
    expect(junos.service).toBe('mgd');
    expect(junos.message).toBe("UI_COMMIT: User 'admin' requested 'commit'");
    const forti = decode(
      '<189>date=2026-11-29 time=11:00:00 devname="FG100" type="traffic" action="accept"',
    ).entry;
    expect(forti.message).toBe(
      'date=2026-11-29 time=11:00:00 devname="FG100" type="traffic" action="accept"',
    );
    expect(forti.timestamp).toBeUndefined();
  });

  it('ISO timestamps in the BSD layout (rsyslog/syslog-ng high-precision templates)', () => {
    const { entry } = decode('<14>2026-11-29T11:00:00.123456+01:00 host1 app[9]: hi');
    expect(entry.timestamp).toBe(Date.UTC(2026, 10, 29, 10, 0, 0, 123));
    expect(entry.service).toBe('app');
    expect(entry.attributes.syslog.hostname).toBe('host1');
  });

  it('a message with nothing but PRI and text', () => {
    const { entry } = decode('<13>just some text');
    expect(entry).toMatchObject({ service: 'syslog', message: 'just some text', level: 'info' });
    expect(entry.timestamp).toBeUndefined();
  });
});

describe('messages that do not parse', () => {
  it.each([
    ['no PRI', 'hello world'],
    ['PRI above 191', '<192>Oct 11 22:14:15 h a: m'],
    ['PRI with a leading zero', '<013>x'],
    ['unclosed PRI', '<13 x'],
  ])('%s: stored as raw text, level info, syslog.parse_error', (_name, text) => {
    const decoded = decode(text);
    expect(decoded.parsed).toBe(false);
    expect(decoded.entry).toEqual({
      level: 'info',
      service: 'syslog',
      message: text,
      attributes: { syslog: { parse_error: 'no valid <PRI> at the start' } },
    });
  });

  it('replaces NUL and invalid UTF-8 so PostgreSQL can store the text', () => {
    const { entry } = decodeSyslogFrame(
      Buffer.from([0x3c, 0x31, 0x33, 0x3e, 0x61, 0x00, 0xff, 0x62]),
      options,
    );
    expect(entry.message).toBe('a\uFFFD\uFFFDb');
    expect(validateLogEntry(entry, RECEIVED).ok).toBe(true);
  });

  it('cuts a message over 64 KiB at a character boundary and says so', () => {
    const { entry } = decode(`<13>1 - - a - - - ${'é'.repeat(40_000)}`);
    expect(Buffer.byteLength(entry.message)).toBeLessThanOrEqual(65_536);
    expect(entry.message).toMatch(/^é+$/);
    expect(entry.attributes.syslog.truncated).toBe(true);
  });
});

describe('fuzzing', () => {
  const fuzzOptions = (receivedAt: number, timeZone: string): SyslogDecodeOptions => ({
    receivedAt,
    timeZone,
    keyElementId: 'logpipe@32473',
  });
  const pieces = fc.constantFrom(
    '<13>',
    '<165>1 ',
    '<34>',
    '1 ',
    '- ',
    '[a@1 b="c"]',
    '[x',
    '"',
    '\\',
    ']',
    'Oct 11 22:14:15 ',
    '*Mar  1 00:01:02.345: ',
    '2026-11-29T11:00:00Z ',
    '123: ',
    '%LINK-3-UPDOWN: ',
    'host ',
    'app[1]: ',
    '\uFEFF',
    '\u0000',
    ' ',
  );

  it('never throws, and every entry it makes passes log entry validation', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(pieces, fc.string({ maxLength: 20 })), { maxLength: 25 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'),
        (parts, bytes, receivedAt, zone) => {
          for (const frame of [Buffer.from(parts.join('')), Buffer.from(bytes)]) {
            const { entry } = decodeSyslogFrame(frame, fuzzOptions(receivedAt, zone));
            const validation = validateLogEntry(entry, receivedAt);
            if (!validation.ok) throw new Error(`${JSON.stringify(entry)}: ${JSON.stringify(validation)}`);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
