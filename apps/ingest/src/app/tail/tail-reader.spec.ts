import type { LogEntry } from '@logpipe/log-schema';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { TailReader } from './tail-reader';

/** A response whose socket accepts `capacity` writes before pushing back, like a client that stopped reading. */
class FakeResponse extends EventEmitter {
  readonly written: string[] = [];
  ended = false;
  constructor(public capacity: number) {
    super();
  }
  write(text: string): boolean {
    this.written.push(text);
    return this.written.length < this.capacity;
  }
  end(text?: string): void {
    if (text) this.written.push(text);
    this.ended = true;
    this.emit('close');
  }
  destroy(): void {
    this.emit('close');
  }
}

const entry = (overrides: Partial<LogEntry> = {}): LogEntry => ({
  timestamp: 0,
  receivedAt: 0,
  level: 'info',
  service: 'checkout',
  message: 'order placed',
  attributes: null,
  traceId: null,
  spanId: null,
  eventId: null,
  tenant: 'acme',
  ...overrides,
});

function reader(response: FakeResponse, maxBufferedEvents = 3) {
  const closed: boolean[] = [];
  const tail = new TailReader(response as unknown as ServerResponse, {
    tenant: 'acme',
    filter: { attributes: [], minLevel: 'info' },
    maxBufferedEvents,
    onClose: (_reader, dropped) => closed.push(dropped),
  });
  return { tail, closed };
}

describe('TailReader', () => {
  it("sends its tenant's matching entries as SSE events and nothing else", () => {
    const response = new FakeResponse(100);
    const { tail } = reader(response);
    expect(tail.offer(entry({ message: 'one' }), '1-0')).toBe(true);
    expect(tail.offer(entry({ tenant: 'globex' }), '2-0')).toBe(false);
    expect(tail.offer(entry({ level: 'debug' }), '3-0')).toBe(false);
    expect(response.written).toHaveLength(1);
    expect(response.written[0]).toMatch(/^event: entry\ndata: \{.*"message":"one".*"stream_id":"1-0"\}\n\n$/);
  });

  it('queues while the socket pushes back and sends the queue on drain, in order', () => {
    const response = new FakeResponse(1);
    const { tail, closed } = reader(response, 10);
    for (let i = 0; i < 4; i++) tail.offer(entry({ message: `m${i}` }), `${i}-0`);
    expect(response.written).toHaveLength(1);
    response.capacity = 100;
    response.emit('drain');
    expect(response.written.map((text) => JSON.parse(text.split('data: ')[1]).message)).toEqual([
      'm0',
      'm1',
      'm2',
      'm3',
    ]);
    expect(closed).toEqual([]);
  });

  it('drops a reader that falls more than its bound behind, with an event saying so', () => {
    const response = new FakeResponse(1);
    const { tail, closed } = reader(response, 3);
    for (let i = 0; i < 10; i++) tail.offer(entry(), `${i}-0`);
    expect(closed).toEqual([true]);
    expect(response.ended).toBe(true);
    expect(response.written[response.written.length - 1]).toMatch(
      /^event: dropped\ndata: \{"reason":"this reader fell more than 3 events behind/,
    );
    expect(tail.offer(entry(), '99-0')).toBe(false);
  });

  it('reports a client that went away as closed, not dropped', () => {
    const response = new FakeResponse(100);
    const { closed } = reader(response);
    response.emit('close');
    expect(closed).toEqual([false]);
  });
});
