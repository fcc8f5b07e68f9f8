import { sleep } from '@logpipe/e2e-support';
import { randomBytes } from 'node:crypto';

export interface Answer {
  keys: string[];
  /** null: no answer (refused, reset, timed out) */
  status: number | null;
  retryAfter: string | null;
  /** when the answer came (ms epoch) */
  at: number;
  /** how long it took (ms) */
  ms: number;
}

/**
 * Uniquely keyed entries (the message is the key) sent by a few lanes, alternating single entries
 * (/api/log) and batches (/api/logs) and the targets, bounded by time and by request count. Batches
 * hold 2-10 entries, and every tenth request of a lane LARGE_BATCH: enough bytes (~25 KB encoded) that
 * ingest appends it in a MULTI/EXEC rather than the append script (stream-client's
 * TRANSACTION_MIN_BYTES). Records which keys the client was told were accepted (2xx): the
 * reconciliation compares by key.
 */
export const LARGE_BATCH = 300;

export class KeyedLoad {
  readonly run = randomBytes(3).toString('hex');
  readonly answers: Answer[] = [];
  readonly done: Promise<void>;
  private stopped = false;
  private sequence = 0;
  private requests = 0;

  constructor(
    readonly service: string,
    private readonly targets: () => string[],
    private readonly limits: { durationMs: number; maxRequests: number; lanes: number; pauseMs: number },
  ) {
    const started = Date.now();
    this.done = Promise.all(
      Array.from({ length: limits.lanes }, async (_, lane) => {
        for (let n = 0; !this.stopped && Date.now() - started < limits.durationMs; n++) {
          if (this.requests++ >= limits.maxRequests) break;
          const size = n % 10 === 9 ? LARGE_BATCH : (n + lane) % 2 === 0 ? 1 : 2 + ((n + lane) % 9);
          const keys = Array.from({ length: size }, () => `${service}:${this.run}:${this.sequence++}`);
          const targets = this.targets();
          await this.send(targets[(n + lane) % targets.length], keys);
          await sleep(limits.pauseMs);
        }
      }),
    ).then(() => undefined);
  }

  async finish(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  get acked(): string[] {
    return this.answers.filter((a) => a.status !== null && a.status < 300).flatMap((a) => a.keys);
  }

  statuses(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { status } of this.answers) counts[String(status)] = (counts[String(status)] ?? 0) + 1;
    return counts;
  }

  private async send(target: string, keys: string[]): Promise<void> {
    const entries = keys.map((message) => ({ level: 'info', service: this.service, message }));
    const started = performance.now();
    const answer: Answer = { keys, status: null, retryAfter: null, at: 0, ms: 0 };
    try {
      const response = await fetch(`${target}${keys.length === 1 ? '/api/log' : '/api/logs'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(keys.length === 1 ? entries[0] : entries),
        signal: AbortSignal.timeout(5000),
      });
      answer.status = response.status;
      answer.retryAfter = response.headers.get('retry-after');
      await response.arrayBuffer();
    } catch {
      // No answer: the entries count as not accepted.
    }
    answer.at = Date.now();
    answer.ms = performance.now() - started;
    this.answers.push(answer);
  }
}
