import {
  encodeLogEntry,
  type EntryTimeLimits,
  type IngestContext,
  validateLogBatch,
  validateLogEntry,
  type LogEntryFieldError,
} from '@logpipe/log-schema';
import { StreamProducer } from '@logpipe/stream-client';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TenantQuota } from '../auth/tenant-quota';
import { BacklogMonitor } from '../backpressure/backlog.monitor';
import { RequestError } from '../http/request-errors';
import type { IngestConfig } from '../ingest.config';

function summarise(errors: readonly LogEntryFieldError[]): string {
  const shown = errors.slice(0, 3).map((e) => `${e.field}: ${e.message}`);
  return errors.length > 3 ? `${shown.join('; ')}; and ${errors.length - 3} more` : shown.join('; ');
}

/**
 * Validates entries and appends them to the stream. An entry is only ever reported as queued
 * after Redis confirmed the XADD; a batch is appended all-or-nothing (one atomic script), so a failed
 * request never leaves half a batch behind for the client's retry to duplicate.
 */
@Injectable()
export class LogIngestService {
  private readonly timeLimits: EntryTimeLimits;

  constructor(
    private readonly producer: StreamProducer,
    private readonly backlog: BacklogMonitor,
    private readonly config: ConfigService<IngestConfig, true>,
    private readonly quota: TenantQuota,
  ) {
    this.timeLimits = {
      maxAgeMs: config.get('ENTRY_MAX_AGE', { infer: true }),
      maxFutureMs: config.get('ENTRY_MAX_FUTURE', { infer: true }),
    };
  }

  private context(tenant: string): IngestContext {
    return { receivedAtMs: Date.now(), tenant, timeLimits: this.timeLimits };
  }

  /** `tenant` comes from the API key (see auth/), never from the body. */
  async ingestOne(input: unknown, tenant: string): Promise<string> {
    this.backlog.assertAccepting();
    const result = validateLogEntry(input, this.context(tenant));
    if (!result.ok) {
      throw new RequestError(400, `invalid log entry: ${summarise(result.errors)}`, {
        errors: result.errors,
      });
    }
    this.quota.take(tenant, 1);
    return this.backlog.admit(1, () => this.producer.append(encodeLogEntry(result.entry)));
  }

  async ingestMany(inputs: readonly unknown[], tenant: string): Promise<number> {
    const limit = this.config.get('MAX_BATCH_ENTRIES', { infer: true });
    if (inputs.length === 0) throw new RequestError(400, 'the batch is empty; send at least one entry');
    if (inputs.length > limit) {
      throw new RequestError(
        413,
        `the batch has ${inputs.length} entries; at most ${limit} (MAX_BATCH_ENTRIES) are accepted per request`,
      );
    }
    this.backlog.assertAccepting();
    const result = validateLogBatch(inputs, this.context(tenant));
    if (!result.ok) {
      const invalid = new Set(result.errors.map((e) => e.index)).size;
      throw new RequestError(
        400,
        `${invalid} of ${inputs.length} entries are invalid; nothing was queued. First: entry ${result.errors[0].index}, ${result.errors[0].field}: ${result.errors[0].message}`,
        { errors: result.errors },
      );
    }
    // Only valid entries count against the quota, and a refused batch takes nothing from it.
    this.quota.take(tenant, result.entries.length);
    await this.backlog.admit(result.entries.length, () =>
      this.producer.appendMany(result.entries.map(encodeLogEntry)),
    );
    return result.entries.length;
  }
}
