import { randomBytes } from 'node:crypto';
import { sleep } from '@logpipe/e2e-support';

export interface LoadOptions {
  /** Names the entries: service `fault-<scenario>-<run>`, message `<scenario>:<run>:<n>` (unique per entry). */
  scenario: string;
  /** Base URL, asked again for every request (a test may move the load to another instance). */
  target: () => string;
  durationMs: number;
  maxRequests: number;
  concurrency: number;
  /** 1: single entries to /api/log only; more: a mix of single entries and batches of 2..maxBatch. */
  maxBatch: number;
  /** Pause of each lane between two requests. */
  pauseMs?: number;
  /** Also send the message as the entry's client `id` (deduplicated by PostgreSQL's event_id index). */
  clientIds?: boolean;
  /** Bytes of attribute padding per entry, to make requests take longer. */
  paddingBytes?: number;
  requestTimeoutMs?: number;
}

export interface RequestOutcome {
  keys: string[];
  /** HTTP status, or null when no answer came (connection refused or reset, timeout). */
  status: number | null;
  error?: string;
  retryAfter: string | null;
  instance: string | null;
  /** The start of the answer's body, for answers that are not 2xx. */
  errorBody?: string;
  startedAt: number;
  endedAt: number;
}

const is2xx = (status: number | null) => status !== null && status >= 200 && status < 300;

/**
 * A bounded load (by time and by request count) of uniquely named entries, recording for each
 * entry whether the client was told it was accepted. Messages are the reconciliation keys; they
 * carry no uniqueness constraint in PostgreSQL, so an entry stored twice shows up as a duplicate.
 */
export class LoadRun {
  readonly run = randomBytes(3).toString('hex');
  readonly service: string;
  readonly outcomes: RequestOutcome[] = [];
  readonly done: Promise<void>;
  private readonly faults: { label: string; from: number; to: number }[] = [];
  private stopped = false;
  private sequence = 0;
  private requests = 0;
  private active = 0;
  private readonly started = Date.now();

  constructor(private readonly options: LoadOptions) {
    this.service = `fault-${options.scenario}-${this.run}`;
    this.done = Promise.all(Array.from({ length: options.concurrency }, (_, lane) => this.lane(lane))).then(
      () => undefined,
    );
  }

  static start(options: LoadOptions): LoadRun {
    return new LoadRun(options);
  }

  /** Ends the load early; requests in flight still finish (or time out). */
  stop(): void {
    this.stopped = true;
  }

  async finish(): Promise<void> {
    this.stop();
    await this.done;
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.active;
  }

  get sent(): string[] {
    return this.outcomes.flatMap((o) => o.keys);
  }

  get acked(): string[] {
    return this.outcomes.filter((o) => is2xx(o.status)).flatMap((o) => o.keys);
  }

  get notAcked(): string[] {
    return this.outcomes.filter((o) => !is2xx(o.status)).flatMap((o) => o.keys);
  }

  /**
   * Marks a fault striking now (a process killed, a server stopped); call `struck()` once it has
   * fully happened (the process is gone). A request in flight in that window may have been written
   * and still refused (its answer lost): the only refused entries allowed to be stored.
   */
  faultStrikes(label: string): { struck(): void } {
    const fault = { label, from: Date.now(), to: Date.now() };
    this.faults.push(fault);
    return {
      struck: () => {
        fault.to = Date.now();
      },
    };
  }

  /** Keys of the requests in flight while a marked fault struck (empty when none was marked). */
  get inFlightAtFaults(): string[] {
    return this.outcomes
      .filter((o) => this.faults.some((f) => o.startedAt <= f.to && o.endedAt >= f.from))
      .flatMap((o) => o.keys);
  }

  /** Requests whose answer came at or after `at` (ms epoch). */
  answeredSince(at: number): RequestOutcome[] {
    return this.outcomes.filter((o) => o.endedAt >= at);
  }

  countByStatus(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const o of this.outcomes) {
      const key = o.status === null ? 'no-answer' : String(o.status);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  private entry(key: string): Record<string, unknown> {
    const entry: Record<string, unknown> = { level: 'info', service: this.service, message: key };
    if (this.options.clientIds) entry['id'] = key.replace(/[^A-Za-z0-9._:-]/g, '_');
    if (this.options.paddingBytes) entry['attributes'] = { pad: 'p'.repeat(this.options.paddingBytes) };
    return entry;
  }

  private async lane(lane: number): Promise<void> {
    const { durationMs, maxRequests, maxBatch } = this.options;
    for (
      let n = 0;
      !this.stopped && Date.now() - this.started < durationMs && this.requests < maxRequests;
      n++
    ) {
      this.requests++;
      // Lanes alternate single entries and batches, so both routes see every fault.
      const size = maxBatch <= 1 || (n + lane) % 2 === 0 ? 1 : 2 + ((n * 7 + lane) % (maxBatch - 1));
      const keys = Array.from(
        { length: size },
        () => `${this.options.scenario}:${this.run}:${this.sequence++}`,
      );
      await this.send(keys, size === 1);
      if (this.options.pauseMs) await sleep(this.options.pauseMs);
    }
  }

  private async send(keys: string[], single: boolean): Promise<void> {
    const entries = keys.map((key) => this.entry(key));
    const startedAt = Date.now();
    const outcome: RequestOutcome = {
      keys,
      status: null,
      retryAfter: null,
      instance: null,
      startedAt,
      endedAt: startedAt,
    };
    this.active++;
    try {
      const response = await fetch(`${this.options.target()}${single ? '/api/log' : '/api/logs'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(single ? entries[0] : entries),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 5000),
      });
      const text = await response.text();
      if (!is2xx(response.status)) outcome.errorBody = text.slice(0, 300);
      outcome.status = response.status;
      outcome.retryAfter = response.headers.get('retry-after');
      outcome.instance = response.headers.get('x-logpipe-instance');
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      outcome.error = cause?.code ?? cause?.message ?? (error as Error).message;
    } finally {
      this.active--;
    }
    outcome.endedAt = Date.now();
    this.outcomes.push(outcome);
  }
}

/** One POST with a deadline; status and parsed body (null when the body is not JSON). */
export async function post(
  url: string,
  body: string | Buffer | Uint8Array,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  const started = Date.now();
  const response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(10000) });
  const text = await response.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, json, text, ms: Date.now() - started };
}
