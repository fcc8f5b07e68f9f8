import { StreamProducer } from '@logpipe/stream-client';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IngestConfig } from '../ingest.config';
import { ServiceUnavailableError } from '../http/http-error.filter';

/**
 * Keeps Redis memory bounded when the workers fall behind. The worker trims acknowledged entries,
 * so the stream length is the unprocessed backlog; past the high-water mark ingest answers 503
 * with Retry-After, and accepts again once the backlog is back under the low-water mark (the gap
 * stops it flapping). Polled in the background so the request path pays nothing for it.
 */
@Injectable()
export class BacklogMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BacklogMonitor.name);
  private timer?: NodeJS.Timeout;
  private checking = false;
  private overloaded = false;
  private lastLength: number | null = null;

  constructor(
    private readonly producer: StreamProducer,
    private readonly config: ConfigService<IngestConfig, true>,
  ) {}

  get state() {
    return {
      entries: this.lastLength,
      accepting: !this.overloaded,
      highWater: this.config.get('BACKLOG_HIGH_WATER', { infer: true }),
      lowWater: this.config.get('BACKLOG_LOW_WATER', { infer: true }),
    };
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check(), this.config.get('BACKLOG_CHECK_INTERVAL_MS', { infer: true }));
    this.timer.unref();
    void this.check();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Throws a 503 while the backlog is over the high-water mark. */
  assertAccepting(): void {
    if (!this.overloaded) return;
    const { entries, highWater } = this.state;
    throw new ServiceUnavailableError(
      `the pipeline is behind: ${entries} entries wait to be stored (BACKLOG_HIGH_WATER=${highWater}); retry later`,
      this.config.get('RETRY_AFTER_SECONDS', { infer: true }),
    );
  }

  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const length = await this.producer.streamLength();
      this.lastLength = length;
      const { highWater, lowWater } = this.state;
      if (!this.overloaded && length >= highWater) {
        this.overloaded = true;
        this.logger.warn({ message: 'backlog over high-water mark: refusing new entries with 503', backlog: length, highWater });
      } else if (this.overloaded && length <= lowWater) {
        this.overloaded = false;
        this.logger.log({ message: 'backlog under low-water mark: accepting entries again', backlog: length, lowWater });
      }
    } catch {
      // Redis unreachable: writes fail with 503 on their own; keep the last known state.
    } finally {
      this.checking = false;
    }
  }
}
