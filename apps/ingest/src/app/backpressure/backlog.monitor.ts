import { StreamProducer } from '@logpipe/stream-client';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IngestConfig } from '../ingest.config';
import { ServiceUnavailableError } from '../http/http-error.filter';

/**
 * Keeps Redis memory bounded when the workers fall behind. The backlog is counted in log entries: each
 * shard's entry counter, which the appends (script or MULTI/EXEC) raise by the entries they write and the
 * worker lowers as it acknowledges them (a stream entry is a chunk of many entries, so XLEN would
 * undercount by the chunk size). Past the high-water mark ingest answers 503 with Retry-After, and
 * accepts again once the backlog is back under the low-water mark (the gap stops it flapping). Polled in
 * the background so the request path pays nothing for it. Between two polls, this instance adds what it
 * writes (and is writing) to the last backlog it read, so a burst cannot carry it past the mark by more
 * than the one request that crossed it. Several shards: the marks apply to the sum over the shards (every
 * worker reads every shard, so they drain together); the per-shard figures are reported in state,
 * readiness and metrics, beside the stream lengths (XLEN, in stream entries) polled with them. Entries an
 * ingest older than the counters wrote are not counted (README, "Upgrading").
 */
@Injectable()
export class BacklogMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BacklogMonitor.name);
  private timer?: NodeJS.Timeout;
  private checking = false;
  private overloaded = false;
  /** Log entries waiting (the entry counters), as last polled. */
  private lastLength: number | null = null;
  /** Per shard (by index), from the same poll as lastLength. */
  private lastShardLengths: number[] | null = null;
  /** Stream entries (XLEN, a chunk counts once), total and per shard, from the same poll. */
  private lastStreamLength: number | null = null;
  private lastStreamShardLengths: number[] | null = null;
  /** The backlog as counted when the mark was crossed: the 503's message quotes it. */
  private backlogWhenRefused = 0;
  /**
   * Entries of every write issued so far: the issue order of writes and polls. A write's place in it
   * (`issuedAt`, the count before it) says which polls count it: the counters are read (GET) on the
   * connection that appends, and commands go out on one connection in call order, so a write issued
   * before a poll is in its count whether or not its own answer has been handled yet.
   */
  private issuedEntries = 0;
  /** `issuedEntries` when the last answered poll was sent: the writes before it are in lastLength. */
  private coveredThrough = 0;
  /**
   * Writes issued since then that failed, so Redis does not hold them: the only writes kept one by one
   * (a request's bookkeeping is two numbers, kept by nothing that outlives it; issue 14's floor).
   */
  private failedUncovered: { issuedAt: number; entries: number }[] = [];
  private failedUncoveredEntries = 0;

  /** Read once: every admit() compares with it, and ConfigService#get looks a key up by path each call. */
  private readonly highWater: number;

  constructor(
    private readonly producer: StreamProducer,
    private readonly config: ConfigService<IngestConfig, true>,
  ) {
    this.highWater = config.get('BACKLOG_HIGH_WATER', { infer: true });
  }

  get state() {
    return {
      entries: this.lastLength,
      entriesByShard: this.lastShardLengths,
      streamEntries: this.lastStreamLength,
      streamEntriesByShard: this.lastStreamShardLengths,
      accepting: !this.overloaded,
      highWater: this.highWater,
      lowWater: this.config.get('BACKLOG_LOW_WATER', { infer: true }),
    };
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.check(),
      this.config.get('BACKLOG_CHECK_INTERVAL_MS', { infer: true }),
    );
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
    // Before the first poll's answer only this instance's own writes are known: "at least" that many.
    const shown = entries ?? `at least ${this.backlogWhenRefused}`;
    throw new ServiceUnavailableError(
      `the pipeline is behind: ${shown} entries wait to be stored (BACKLOG_HIGH_WATER=${highWater}); retry later`,
      this.config.get('RETRY_AFTER_SECONDS', { infer: true }),
    );
  }

  /**
   * Runs `write` (the append of `entries` log entries) if the backlog, counting this instance's writes
   * since the last poll and those in flight, is under the high-water mark; otherwise a 503. The
   * check and the reservation happen in one synchronous step, so concurrent requests cannot all
   * slip in on the same stale length.
   */
  admit<T>(entries: number, write: () => Promise<T>): Promise<T> {
    // Not async: one promise less per request on the hottest path (LogIngestService.ingestOne).
    try {
      this.assertAccepting();
      const backlog = (this.lastLength ?? 0) + this.uncoveredEntries;
      if (backlog >= this.highWater) {
        this.overloaded = true;
        this.backlogWhenRefused = backlog;
        this.logger.warn({
          message: 'backlog over high-water mark: refusing new entries with 503',
          backlog,
          highWater: this.highWater,
        });
        this.assertAccepting();
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const issuedAt = this.issuedEntries;
    this.issuedEntries += entries;
    let written: Promise<T>;
    try {
      written = write();
    } catch (error) {
      this.notWritten(issuedAt, entries);
      return Promise.reject(error);
    }
    return written.catch((error: unknown) => {
      this.notWritten(issuedAt, entries);
      throw error;
    });
  }

  /** This instance's writes that the last answered poll may not count: those issued after it, less the failed. */
  private get uncoveredEntries(): number {
    return this.issuedEntries - this.coveredThrough - this.failedUncoveredEntries;
  }

  /** A write failed (or, after a timeout, maybe was written: then the next poll counts it). */
  private notWritten(issuedAt: number, entries: number): void {
    // Issued before the last answered poll: that poll's count is Redis's, which never had it.
    if (issuedAt < this.coveredThrough) return;
    this.failedUncovered.push({ issuedAt, entries });
    this.failedUncoveredEntries += entries;
  }

  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const issuedBefore = this.issuedEntries;
      // Both reads go out in this tick, on the producer's connection, after every write issued so far.
      const [backlog, stream] = await Promise.all([this.producer.entryBacklog(), this.producer.backlog()]);
      const length = backlog.total;
      this.lastShardLengths = backlog.shards;
      this.lastStreamLength = stream.total;
      this.lastStreamShardLengths = stream.shards;
      // Writes issued before this poll are in `length`, however late their own answers are handled;
      // keep counting only the later ones. (Counting a write both in `length` and as still in flight
      // refused the write after it one entry early, seen in CI.)
      this.coveredThrough = issuedBefore;
      this.failedUncovered = this.failedUncovered.filter((write) => write.issuedAt >= issuedBefore);
      this.failedUncoveredEntries = this.failedUncovered.reduce((sum, write) => sum + write.entries, 0);
      this.lastLength = length;
      const { highWater, lowWater } = this.state;
      if (!this.overloaded && length + this.uncoveredEntries >= highWater) {
        this.overloaded = true;
        this.logger.warn({
          message: 'backlog over high-water mark: refusing new entries with 503',
          backlog: length,
          highWater,
        });
      } else if (this.overloaded && length <= lowWater) {
        this.overloaded = false;
        this.logger.log({
          message: 'backlog under low-water mark: accepting entries again',
          backlog: length,
          lowWater,
        });
      }
    } catch {
      // Redis unreachable: writes fail with 503 on their own; keep the last known state.
    } finally {
      this.checking = false;
    }
  }
}
