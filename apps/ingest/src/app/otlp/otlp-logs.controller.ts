import {
  decodeExportLogsRequest,
  encodeExportLogsResponse,
  mapExportLogsRequest,
  OtlpDecodeError,
  otlpEncodingOf,
  partialSuccessOf,
  UNSUPPORTED_CONTENT_TYPE_MESSAGE,
} from '@logpipe/protocol-otlp';
import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Tenant } from '../auth/tenant.decorator';
import { ProtocolRoute } from '../http/protocol-route';
import { RequestError } from '../http/request-errors';
import { LogIngestService } from '../logs/log-ingest.service';
import { IngestOutcome, Outcome } from '../metrics/ingest-outcome';

const NO_BODY = Buffer.alloc(0);

/**
 * OTLP/HTTP logs: decoding, mapping and the answer's encoding live in @logpipe/protocol-otlp; this only
 * joins them to the shared ingest path. Quota, backpressure and Redis failures (429/503 + Retry-After)
 * come from LogIngestService, and every error is answered as a google.rpc.Status (see OtlpModule).
 */
@ApiTags('OTLP')
@Controller('v1')
export class OtlpLogsController {
  constructor(private readonly ingest: LogIngestService) {}

  @Post('logs')
  @HttpCode(200)
  @ProtocolRoute('otlp', { rawBody: true })
  @ApiOperation({
    summary:
      'OTLP/HTTP logs export (ExportLogsServiceRequest); answers ExportLogsServiceResponse in the same encoding',
  })
  @ApiConsumes('application/x-protobuf', 'application/json')
  async export(
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Tenant() tenant: string,
    @Outcome() outcome: IngestOutcome,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const encoding = otlpEncodingOf(contentType);
    if (encoding === undefined) {
      throw new RequestError(415, `${UNSUPPORTED_CONTENT_TYPE_MESSAGE} (got ${contentType ?? 'none'})`);
    }
    let request;
    try {
      // No body at all reaches the handler as undefined: an empty protobuf message, or broken JSON.
      request = decodeExportLogsRequest(Buffer.isBuffer(body) ? body : NO_BODY, encoding);
    } catch (error) {
      if (error instanceof OtlpDecodeError) throw new RequestError(400, error.message);
      throw error;
    }
    const { entries, pathOf } = mapExportLogsRequest(request);
    const result = await this.ingest.ingestEach(entries, tenant, outcome);
    const partialSuccess = partialSuccessOf(result.rejected, entries.length, pathOf);
    // Nothing stored: a failure the exporter should report, not a success with a warning.
    if (partialSuccess !== undefined && result.queued === 0) {
      throw new RequestError(400, partialSuccess.errorMessage);
    }
    const answer = encodeExportLogsResponse(encoding, partialSuccess);
    reply.header('content-type', answer.contentType);
    return answer.body;
  }
}
