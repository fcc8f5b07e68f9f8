import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Tenant } from '../auth/tenant.decorator';
import { ApiIngestBatch, ApiIngestOne } from '../docs/routes.openapi';
import { NdjsonLines, submittedEntriesOf } from '../http/body-parsers';
import { RequestError } from '../http/request-errors';
import { LogIngestService } from './log-ingest.service';

@Controller('api')
export class LogsController {
  constructor(private readonly ingest: LogIngestService) {}

  /** One entry as a JSON object. */
  @Post('log')
  @HttpCode(202)
  @ApiIngestOne()
  submitOne(@Body() body: unknown, @Tenant() tenant: string): Promise<{ status: string; id: string }> {
    // Not async, as submitMany: one promise less per request on the hottest route.
    if (body instanceof NdjsonLines) {
      return Promise.reject(
        new RequestError(415, 'POST /api/log takes one entry as application/json; send NDJSON to /api/logs'),
      );
    }
    return this.ingest.ingestOne(body, tenant).then((id) => ({ status: 'queued', id }));
  }

  /** Many entries: a JSON array, or NDJSON (one entry per line); optionally gzip-compressed. */
  @Post('logs')
  @HttpCode(202)
  @ApiIngestBatch()
  submitMany(@Body() body: unknown, @Tenant() tenant: string): Promise<{ status: string; count: number }> {
    // Not async, as LogIngestService.ingestMany: the parsed body is not held while Redis answers.
    const entries = body instanceof NdjsonLines ? body.values : body;
    if (!Array.isArray(entries)) {
      return Promise.reject(
        new RequestError(
          400,
          'POST /api/logs takes a JSON array of entries, or NDJSON (application/x-ndjson)',
        ),
      );
    }
    return this.ingest
      .ingestMany(entries, tenant, undefined, submittedEntriesOf(body))
      .then((count) => ({ status: 'queued', count }));
  }
}
