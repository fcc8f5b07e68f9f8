import { matchesLogFilter, viewOfEntry, type LogFilter } from '@logpipe/log-query';
import type { LogEntry } from '@logpipe/log-schema';
import type { ServerResponse } from 'node:http';

/** Past this many bytes waiting for one reader it is dropped too, whatever the entry count: entries can be large. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const FORCE_CLOSE_AFTER_MS = 5000;

export interface TailReaderOptions {
  tenant: string;
  filter: LogFilter;
  /** Events that may wait for this reader (TAIL_BUFFER_ENTRIES) before it is dropped. */
  maxBufferedEvents: number;
  onClose: (reader: TailReader, dropped: boolean) => void;
}

/** One Server-Sent Event: `event: <name>` and one `data:` line (JSON never holds a raw newline). */
export function sseEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * One SSE client. Writes go straight to the socket while it keeps up; once the socket pushes back,
 * events wait in a bounded queue until 'drain'. A reader whose queue passes its bound is sent
 * `event: dropped` and disconnected: a slow reader costs a bounded amount of memory and never slows
 * the stream read that feeds every reader.
 */
export class TailReader {
  private readonly queue: string[] = [];
  private queuedBytes = 0;
  private waitingForDrain = false;
  private closed = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly options: TailReaderOptions,
  ) {
    response.on('close', () => this.close(false));
    response.on('drain', () => this.flush());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends the entry if it is this reader's tenant's and passes its filters; false if not sent. */
  offer(entry: LogEntry, streamId: string): boolean {
    if (this.closed || entry.tenant !== this.options.tenant || !matchesLogFilter(entry, this.options.filter))
      return false;
    this.send(sseEvent('entry', viewOfEntry(entry, streamId)));
    return true;
  }

  heartbeat(): void {
    this.send(': keep-alive\n\n');
  }

  /** Ends the stream with a last event (shutdown, dropped). */
  end(event: string, data: unknown): void {
    if (this.closed) return;
    // Closed first: ending the response may emit 'close' at once, which must not count as the client leaving.
    this.close(event === 'dropped');
    this.response.end(sseEvent(event, data));
    // A client that never reads would keep the socket (and what it buffers) forever.
    setTimeout(() => this.response.destroy(), FORCE_CLOSE_AFTER_MS).unref();
  }

  send(text: string): void {
    if (this.closed) return;
    if (!this.waitingForDrain) {
      this.waitingForDrain = !this.response.write(text);
      return;
    }
    this.queue.push(text);
    this.queuedBytes += Buffer.byteLength(text);
    if (this.queue.length > this.options.maxBufferedEvents || this.queuedBytes > MAX_BUFFERED_BYTES) {
      this.queue.length = 0;
      this.queuedBytes = 0;
      this.end('dropped', {
        reason: `this reader fell more than ${this.options.maxBufferedEvents} events behind; reconnect, and use GET /api/logs for what was missed`,
      });
    }
  }

  private flush(): void {
    this.waitingForDrain = false;
    while (this.queue.length > 0 && !this.waitingForDrain && !this.closed) {
      const text = this.queue.shift() as string;
      this.queuedBytes -= Buffer.byteLength(text);
      this.waitingForDrain = !this.response.write(text);
    }
  }

  private close(dropped: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.options.onClose(this, dropped);
  }
}
