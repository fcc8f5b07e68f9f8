import {
  BodyFramePool,
  checkLogBatch,
  type ChunkLimits,
  encodeLogChunks,
  encodeSubmittedChunks,
  type EntryTimeLimits,
  FrameLease,
  type IngestContext,
  validateLogBatch,
  validateLogEntries,
  validateLogEntry,
  type LogEntry,
  type LogBatchFieldError,
  type LogEntryFieldError,
  SingleEntryChunks,
  type SubmittedEntries,
  submittedFitsChunks,
} from '@logpipe/log-schema';
import { StreamProducer } from '@logpipe/stream-client';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TenantQuota } from '../auth/tenant-quota';
import { BacklogMonitor } from '../backpressure/backlog.monitor';
import { RequestError } from '../http/request-errors';
import type { IngestConfig } from '../ingest.config';
import type { IngestOutcome } from '../metrics/ingest-outcome';

/** A validated batch: how many entries it holds, and how to write its stream values once admitted. */
interface PreparedBatch {
  count: number;
  encode: () => (string | Buffer)[];
}

/** What `ingestEach` did: how many entries were queued, and which inputs were refused and why. */
export interface IngestEachResult {
  queued: number;
  rejected: { index: number; errors: LogEntryFieldError[] }[];
}

function summarise(errors: readonly LogEntryFieldError[]): string {
  const shown = errors.slice(0, 3).map((e) => `${e.field}: ${e.message}`);
  return errors.length > 3 ? `${shown.join('; ')}; and ${errors.length - 3} more` : shown.join('; ');
}

/**
 * Validates entries and appends them to the stream. An entry is only ever reported as queued
 * after Redis confirmed the XADD; a batch is appended all-or-nothing (one atomic script or MULTI/EXEC),
 * so a failed request never leaves half a batch behind for the client's retry to duplicate.
 * A request of several entries goes to Redis as chunks (encodeLogChunks: CHUNK_MAX_ENTRIES,
 * CHUNK_MAX_BYTES), one stream entry each, all in that one append. Single entries (POST /api/log) that
 * arrive during the same turn of the event loop are chunked together across requests
 * (SingleEntryChunks); a lone one stays a version 2 value of its own.
 */
@Injectable()
export class LogIngestService {
  private readonly timeLimits: EntryTimeLimits;
  private readonly chunkLimits: ChunkLimits;
  private readonly singles: SingleEntryChunks;

  constructor(
    private readonly producer: StreamProducer,
    private readonly backlog: BacklogMonitor,
    private readonly config: ConfigService<IngestConfig, true>,
    private readonly quota: TenantQuota,
    /** Frames for the stream values of a request's entries (log-schema's body-frames.ts). */
    private readonly framePool: BodyFramePool,
  ) {
    this.timeLimits = {
      maxAgeMs: config.get('ENTRY_MAX_AGE', { infer: true }),
      maxFutureMs: config.get('ENTRY_MAX_FUTURE', { infer: true }),
    };
    this.chunkLimits = {
      maxEntries: config.get('CHUNK_MAX_ENTRIES', { infer: true }),
      maxBytes: config.get('CHUNK_MAX_BYTES', { infer: true }),
    };
    this.singles = new SingleEntryChunks(producer, this.chunkLimits);
  }

  private context(tenant: string): IngestContext {
    return { receivedAtMs: Date.now(), tenant, timeLimits: this.timeLimits };
  }

  /**
   * `tenant` comes from the API key (see auth/), never from the body. Resolves the entry's stored
   * position: a stream id, or `<stream id>#<i>` when it shared a chunk with other requests' entries.
   */
  ingestOne(input: unknown, tenant: string, outcome?: IngestOutcome): Promise<string> {
    // Not async, and no await when the quota is off: the hottest call in ingest, where each async step
    // is a promise and a microtask more per entry (issue 14's single-entry target).
    if (outcome !== undefined) outcome.received = 1;
    let entry: LogEntry;
    try {
      this.backlog.assertAccepting();
      const result = validateLogEntry(input, this.context(tenant));
      if (!result.ok) {
        throw new RequestError(400, `invalid log entry: ${summarise(result.errors)}`, {
          errors: result.errors,
        });
      }
      entry = result.entry;
    } catch (error) {
      return Promise.reject(error);
    }
    const queue = () => this.backlog.admit(1, () => this.singles.append(entry));
    const queued = this.quota.enabled ? this.quota.take(tenant, 1).then(queue) : queue();
    if (outcome === undefined) return queued;
    return queued.then((id) => {
      outcome.queued = 1;
      return id;
    });
  }

  /**
   * All or nothing: every input valid and all queued in one atomic append, or a 400 listing the
   * problems and nothing queued (POST /api/logs, Loki push). `submitted`: the same entries as the client
   * sent them (the body parsers' submittedEntriesOf), queued as sent (version 4 values) when they fit
   * the chunk limits, instead of encoding every validated entry again (version 3).
   */
  ingestMany(
    inputs: readonly unknown[],
    tenant: string,
    outcome?: IngestOutcome,
    submitted?: SubmittedEntries,
  ): Promise<number> {
    // Not an async function: one keeps its arguments for as long as it waits, and `inputs` (a large
    // body's parsed objects, needed only to validate it) would live through the quota and the Redis
    // round trip, long enough to be promoted to the old generation and collected by a mark-compact.
    const lease = new FrameLease(this.framePool);
    // The frame a JSON array body, or NDJSON lines as sent, were read into (log-schema's body-frames.ts).
    const bodyFrame = submitted !== undefined && 'frame' in submitted ? submitted.frame : undefined;
    let batch: PreparedBatch;
    try {
      batch = this.prepareBatch(inputs, tenant, outcome, submitted, lease);
    } catch (error) {
      // Refused before anything was handed to Redis: the body's frame can serve the next one now.
      bodyFrame?.release();
      return Promise.reject(error);
    }
    const { count, encode } = batch;
    // This callback holds the count and the frames, not the entries (their texts or objects), which are
    // let go once encoded: held through the Redis round trip, a 1,000-entry batch's are promoted to the
    // old generation, and a mark-compact has to collect them.
    return this.queue(count, tenant, encode, lease).then(() => {
      if (outcome !== undefined) outcome.queued = count;
      // Redis has stored the values, so nothing reads their frames or the body's again. A failed append
      // keeps its frames (the collector takes them): ioredis may not be done with a command whose
      // promise it rejected (a Cluster redirection answered after the timeout sends it again), and a
      // frame reused by then would send another request's bytes.
      lease.release();
      bodyFrame?.release();
      return count;
    });
  }

  /** ingestMany's checks, all synchronous: the batch's size and the stream values it will write. */
  private prepareBatch(
    inputs: readonly unknown[],
    tenant: string,
    outcome: IngestOutcome | undefined,
    submitted: SubmittedEntries | undefined,
    lease: FrameLease,
  ): PreparedBatch {
    if (outcome !== undefined) outcome.received = inputs.length;
    if (inputs.length === 0) throw new RequestError(400, 'the batch is empty; send at least one entry');
    this.assertBatchSize(inputs.length);
    this.backlog.assertAccepting();
    const context = this.context(tenant);
    if (submitted !== undefined && submittedFitsChunks(submitted, inputs.length, context, this.chunkLimits)) {
      const result = checkLogBatch(inputs, context);
      if (!result.ok) throw invalidBatch(result.errors, inputs.length);
      return {
        count: inputs.length,
        encode: once(() => encodeSubmittedChunks(submitted, context, this.chunkLimits, lease)),
      };
    }
    const result = validateLogBatch(inputs, context);
    if (!result.ok) throw invalidBatch(result.errors, inputs.length);
    const { entries } = result;
    return { count: inputs.length, encode: once(() => encodeLogChunks(entries, this.chunkLimits, lease)) };
  }

  /**
   * Partial acceptance (OTLP's partial_success, Elasticsearch's per-item bulk results): the valid
   * entries are queued together in one atomic append and the invalid ones are reported by index, so a
   * client retrying the request cannot half-duplicate it. Quota, backpressure and Redis failures still
   * refuse the whole request (429/503), since then nothing was queued.
   */
  async ingestEach(
    inputs: readonly unknown[],
    tenant: string,
    outcome?: IngestOutcome,
  ): Promise<IngestEachResult> {
    if (outcome !== undefined) outcome.received = inputs.length;
    this.assertBatchSize(inputs.length);
    this.backlog.assertAccepting();
    const { entries: valid, rejected } = validateLogEntries(inputs, this.context(tenant));
    if (valid.length > 0) {
      const lease = new FrameLease(this.framePool);
      await this.queue(valid.length, tenant, () => encodeLogChunks(valid, this.chunkLimits, lease), lease);
      // As in ingestMany: only an append that succeeded gives its frames back.
      lease.release();
    }
    if (outcome !== undefined) outcome.queued = valid.length;
    return { queued: valid.length, rejected };
  }

  private assertBatchSize(count: number): void {
    const limit = this.config.get('MAX_BATCH_ENTRIES', { infer: true });
    if (count > limit) {
      throw new RequestError(
        413,
        `the request has ${count} entries; at most ${limit} (MAX_BATCH_ENTRIES) are accepted per request`,
      );
    }
  }

  /**
   * `encode` writes the stream values of `count` valid entries; it runs once the request is admitted.
   * The values, and their compressed forms, are written into `lease`'s frames.
   */
  private async queue(
    count: number,
    tenant: string,
    encode: () => (string | Buffer)[],
    lease: FrameLease,
  ): Promise<void> {
    // Only valid entries count against the quota, and a refused request takes nothing from it.
    await this.quota.take(tenant, count);
    await this.backlog.admit(count, () =>
      this.producer.appendChunks(encode(), count, (size) => lease.take(size)),
    );
  }
}

/**
 * `make` for a single call, after which it is let go, and with it what it holds (a batch's entries):
 * the caller keeps the returned function until the append it feeds has settled.
 */
function once<T>(make: () => T): () => T {
  let pending: (() => T) | undefined = make;
  return () => {
    if (pending === undefined) throw new Error('a batch is encoded once');
    const run = pending;
    pending = undefined;
    return run();
  };
}

function invalidBatch(errors: readonly LogBatchFieldError[], count: number): RequestError {
  const invalid = new Set(errors.map((e) => e.index)).size;
  const [first] = errors;
  return new RequestError(
    400,
    `${invalid} of ${count} entries are invalid; nothing was queued. First: entry ${first.index}, ${first.field}: ${first.message}`,
    { errors },
  );
}
