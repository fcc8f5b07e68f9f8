import fc from 'fast-check';
import { SyslogFramer, type SyslogFrameEvent } from './syslog-framer';

const limits = { maxMessageBytes: 64, maxLineBytes: 32 };

function frames(events: SyslogFrameEvent[]): string[] {
  return events.flatMap((event) => (event.kind === 'frame' ? [event.frame.toString('utf8')] : []));
}

function refusals(events: SyslogFrameEvent[]): string[] {
  return events.flatMap((event) => (event.kind === 'refused' ? [event.problem] : []));
}

/** Feeds `stream` in chunks of `size` bytes and then ends it. */
function feed(stream: string | Buffer, size: number, framer = new SyslogFramer(limits)): SyslogFrameEvent[] {
  const bytes = typeof stream === 'string' ? Buffer.from(stream, 'utf8') : stream;
  const events: SyslogFrameEvent[] = [];
  for (let at = 0; at < bytes.length; at += size) events.push(...framer.push(bytes.subarray(at, at + size)));
  events.push(...framer.end());
  return events;
}

describe('SyslogFramer', () => {
  it('reads octet-counted frames (RFC 6587 3.4.1), with or without a trailing LF', () => {
    const stream = '11 <13>1 - - x10 <14>hello\n9 <15>again';
    expect(frames(feed(stream, 1000))).toEqual(['<13>1 - - x', '<14>hello\n', '<15>again']);
  });

  it('reads newline-framed messages (RFC 6587 3.4.2), dropping a CR before the LF and empty lines', () => {
    expect(frames(feed('<13>one\r\n\n<14>two\n<15>three', 1000))).toEqual([
      '<13>one',
      '<14>two',
      '<15>three',
    ]);
  });

  it('gives the same frames however the stream is cut into chunks', () => {
    const stream = '11 <13>1 - - x<14>line one\n12 <15>counted\n\n<16>tail';
    const whole = frames(feed(stream, 1000));
    expect(whole).toEqual(['<13>1 - - x', '<14>line one', '<15>counted\n', '<16>tail']);
    for (let size = 1; size < stream.length; size += 1) {
      expect(frames(feed(stream, size))).toEqual(whole);
    }
  });

  it('treats a frame starting with digits but no SP after them as a line (a BSD message without PRI)', () => {
    expect(frames(feed('12:00:01 host app: hi\n', 3))).toEqual(['12:00:01 host app: hi']);
  });

  it('skips an octet-counted frame over the limit without buffering it and goes on with the next frame', () => {
    const framer = new SyslogFramer(limits);
    const big = `100 ${'x'.repeat(100)}`;
    const events: SyslogFrameEvent[] = [];
    for (const char of big) {
      events.push(...framer.push(Buffer.from(char)));
      expect(framer.pendingBytes).toBeLessThanOrEqual(limits.maxMessageBytes);
    }
    events.push(...framer.push(Buffer.from('5 <13>x')), ...framer.end());
    expect(refusals(events)).toEqual(['octet-count-too-large']);
    expect(frames(events)).toEqual(['<13>x']);
  });

  it('refuses a line over the limit up to its LF, holding at most the limit, and keeps the next line', () => {
    const framer = new SyslogFramer(limits);
    const events = [...framer.push(Buffer.from(`<13>${'y'.repeat(40)}`))];
    expect(framer.pendingBytes).toBe(0);
    events.push(...framer.push(Buffer.from('more\n<14>ok\n')), ...framer.end());
    expect(refusals(events)).toEqual(['line-too-long']);
    expect(frames(events)).toEqual(['<14>ok']);
  });

  it('refuses an octet-counted frame cut short by the end of the stream, and says it was in a frame', () => {
    const framer = new SyslogFramer(limits);
    framer.push(Buffer.from('20 <13>partial'));
    expect(framer.inFrame).toBe(true);
    expect(framer.pendingBytes).toBe(11);
    expect(refusals(framer.end())).toEqual(['incomplete-frame']);
    expect(framer.inFrame).toBe(false);
  });

  it('reads a length longer than ten digits as the start of a line, not a number', () => {
    const events = feed('12345678901 <13>x\n', 4);
    expect(frames(events)).toEqual(['12345678901 <13>x']);
  });

  it('never throws, never holds more than its limits, and loses no byte of a well-formed stream (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 50 }), (bytes, size) => {
        const framer = new SyslogFramer(limits);
        const buffer = Buffer.from(bytes);
        for (let at = 0; at < buffer.length; at += size) {
          for (const event of framer.push(buffer.subarray(at, at + size))) {
            if (event.kind === 'frame')
              expect(event.frame.length).toBeLessThanOrEqual(limits.maxMessageBytes);
          }
          expect(framer.pendingBytes).toBeLessThanOrEqual(
            Math.max(limits.maxMessageBytes, limits.maxLineBytes),
          );
        }
        framer.end();
      }),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ minLength: 1, maxLength: 50 }).map((text) => `<13>${text.replace(/\n/g, ' ')}`),
          {
            maxLength: 20,
          },
        ),
        fc.integer({ min: 1, max: 30 }),
        (messages, size) => {
          const stream = messages.map((m) => `${Buffer.byteLength(m)} ${m}`).join('');
          const big = { maxMessageBytes: 1000, maxLineBytes: 1000 };
          expect(frames(feed(stream, size, new SyslogFramer(big)))).toEqual(messages);
        },
      ),
    );
  });
});
