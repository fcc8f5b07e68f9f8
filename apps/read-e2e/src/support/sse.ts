import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { waitFor } from '@logpipe/e2e-support';

export interface SseEvent {
  event: string;
  data: string;
}

/** A Server-Sent Events client on node:http: collects events as they arrive; close() hangs up. */
export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  headers: IncomingMessage['headers'] = {};
  ended = false;
  private buffer = '';
  private readonly req: ClientRequest;

  constructor(url: string, headers: Record<string, string>) {
    this.req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      this.status = response.statusCode ?? 0;
      this.headers = response.headers;
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => this.receive(chunk));
      response.on('end', () => (this.ended = true));
      response.on('close', () => (this.ended = true));
    });
    this.req.on('error', () => (this.ended = true));
    this.req.end();
  }

  /** Entries received so far, parsed. */
  entries<T = Record<string, unknown>>(): T[] {
    return this.events.filter((e) => e.event === 'entry').map((e) => JSON.parse(e.data) as T);
  }

  async waitForEvent(name: string, timeoutMs = 10000): Promise<SseEvent> {
    return waitFor(
      `SSE event "${name}"`,
      async () => this.events.find((e) => e.event === name),
      timeoutMs,
      25,
    );
  }

  close(): void {
    this.req.destroy();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) this.events.push({ event, data: data.join('\n') });
    }
  }
}
