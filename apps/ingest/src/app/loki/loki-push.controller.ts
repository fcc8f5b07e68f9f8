import {
  decodeLokiPush,
  describeEntryProblems,
  LokiPushError,
  mapLokiPush,
  type MappedLokiPush,
} from '@logpipe/protocol-loki';
import type { LogEntryFieldError } from '@logpipe/log-schema';
import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { Tenant } from '../auth/tenant.decorator';
import { ProtocolRoute } from '../http/protocol-route';
import { RequestError } from '../http/request-errors';
import type { IngestConfig } from '../ingest.config';
import { LogIngestService } from '../logs/log-ingest.service';
import { IngestOutcome, Outcome } from '../metrics/ingest-outcome';

/**
 * Loki's push API (`POST /loki/api/v1/push`, what Promtail, Grafana Alloy and the Loki client libraries
 * send). Decoding and mapping are libs/protocols/loki's; this joins the one ingest path, all or nothing
 * as Loki is: one bad stream and nothing of the request is queued.
 */
@ApiExcludeController()
@Controller('loki/api/v1')
export class LokiPushController {
  constructor(
    private readonly ingest: LogIngestService,
    private readonly config: ConfigService<IngestConfig, true>,
  ) {}

  @Post('push')
  @HttpCode(204)
  @ProtocolRoute('loki', { rawBody: true })
  async push(
    @Body() body: Buffer,
    @Headers('content-type') contentType: string | undefined,
    @Tenant() tenant: string,
    @Outcome() outcome: IngestOutcome,
  ): Promise<void> {
    const mapped = this.decode(body, contentType);
    // Loki answers an empty push with 204 too; there is nothing to queue.
    if (mapped.entries.length === 0) return;
    try {
      await this.ingest.ingestMany(mapped.entries, tenant, outcome);
    } catch (error) {
      throw this.inLokiTerms(error, mapped);
    }
  }

  private decode(body: Buffer, contentType: string | undefined): MappedLokiPush {
    try {
      const request = decodeLokiPush(body ?? Buffer.alloc(0), contentType, {
        maxBodyBytes: this.config.get('MAX_BODY_BYTES', { infer: true }),
      });
      return mapLokiPush(request);
    } catch (error) {
      if (error instanceof LokiPushError) throw new RequestError(error.status, error.message);
      throw error;
    }
  }

  /** A validation 400 names entries by their index in the batch; Loki's clients know streams. */
  private inLokiTerms(error: unknown, mapped: MappedLokiPush): unknown {
    if (!(error instanceof RequestError) || error.statusCode !== 400) return error;
    const errors = error.details?.['errors'] as (LogEntryFieldError & { index: number })[] | undefined;
    if (errors === undefined || errors.length === 0) return error;
    return new RequestError(400, describeEntryProblems(mapped, errors), { errors });
  }
}
