import { SseParser } from './sse-parser';

describe('SseParser', () => {
  it('reads named events, joins data lines and skips comments', () => {
    const parser = new SseParser();
    expect(
      parser.push(
        'event: ready\ndata: {"tenant":"acme"}\n\n: heartbeat\n\nevent: entry\ndata: a\ndata: b\n\n',
      ),
    ).toEqual([
      { event: 'ready', data: '{"tenant":"acme"}' },
      { event: 'entry', data: 'a\nb' },
    ]);
  });

  it('keeps a partial event across chunks, whatever the split, with CRLF line ends', () => {
    const text = 'event: entry\r\ndata: {"m":1}\r\n\r\nevent: dropped\r\ndata: {}\r\n\r\n';
    for (let split = 0; split <= text.length; split++) {
      const parser = new SseParser();
      const events = [...parser.push(text.slice(0, split)), ...parser.push(text.slice(split))];
      expect(events).toEqual([
        { event: 'entry', data: '{"m":1}' },
        { event: 'dropped', data: '{}' },
      ]);
    }
  });

  it('calls an event without a name "message" and ignores one without data', () => {
    const parser = new SseParser();
    expect(parser.push('data:x\n\nevent: empty\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});
