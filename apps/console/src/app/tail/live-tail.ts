// The live tail: GET /api/logs/tail read with fetch + a stream reader (EventSource cannot send the
// Authorization header), reconnecting by itself with a growing delay, and the server's events in words.
import { apiFetch, type LogEntry } from '../api/api-client';
import { ApiError } from '../api/api-error';
import { SseParser } from './sse-parser';

export type TailStatus =
  | { state: 'connecting' }
  | { state: 'live' }
  | { state: 'reconnecting'; inSeconds: number; reason: string };

export interface TailHandlers {
  entry(entry: LogEntry): void;
  status(status: TailStatus): void;
  /** A notice worth showing until the user dismisses it (the server dropped us, it restarted). */
  notice(text: string): void;
}

const MAX_DELAY_MS = 15000;

export class LiveTail {
  private controller = new AbortController();
  private failures = 0;

  constructor(
    private readonly params: URLSearchParams,
    private readonly handlers: TailHandlers,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.controller.abort();
  }

  private get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let reason = 'the connection ended';
      try {
        this.handlers.status({ state: 'connecting' });
        await this.readOnce();
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof ApiError && error.kind === 'unauthorized') return;
        reason = error instanceof Error ? error.message : String(error);
      }
      if (this.stopped) return;
      this.failures++;
      const delayMs = Math.min(MAX_DELAY_MS, 500 * 2 ** Math.min(this.failures - 1, 5));
      this.handlers.status({ state: 'reconnecting', inSeconds: Math.ceil(delayMs / 1000), reason });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.controller.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private async readOnce(): Promise<void> {
    const query = this.params.toString();
    const response = await apiFetch(`/api/logs/tail${query ? `?${query}` : ''}`, {
      signal: this.controller.signal,
      headers: { accept: 'text/event-stream' },
    });
    if (!response.body) throw new Error('the browser gave no stream');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const event of parser.push(value)) this.dispatch(event.event, event.data);
    }
  }

  private dispatch(event: string, data: string): void {
    if (event === 'ready') {
      this.failures = 0;
      this.handlers.status({ state: 'live' });
    } else if (event === 'entry') {
      try {
        this.handlers.entry(JSON.parse(data) as LogEntry);
      } catch {
        // A line that is not an entry is skipped; the stream goes on.
      }
    } else if (event === 'dropped') {
      this.handlers.notice(
        'The server dropped this live tail because entries arrived faster than this browser read them; it reconnected, ' +
          'and entries from the gap are in the search results (search again to see them).',
      );
    } else if (event === 'shutdown') {
      this.handlers.notice('The server restarted; the live tail reconnected to another instance.');
    }
  }
}
