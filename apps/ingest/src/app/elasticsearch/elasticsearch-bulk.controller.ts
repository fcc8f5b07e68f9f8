import {
  BulkRequestError,
  bulkContentTypeProblem,
  decodeBulkRequest,
  encodeBulkResponse,
} from '@logpipe/protocol-elasticsearch';
import { Body, Controller, Headers, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { performance } from 'node:perf_hooks';
import { Tenant } from '../auth/tenant.decorator';
import { ProtocolRoute } from '../http/protocol-route';
import { RequestError } from '../http/request-errors';
import { LogIngestService } from '../logs/log-ingest.service';
import { IngestOutcome, Outcome } from '../metrics/ingest-outcome';

/** `_msg_field` as given once, or repeated (`?_msg_field=a&_msg_field=b` reads as "a,b"). */
type MessageFieldParameter = string | string[] | undefined;

/** What the reply needs: the answer is JSON text already (encodeBulkResponse), which Fastify sends as is. */
type BulkReply = Pick<FastifyReply, 'header'>;

/**
 * Elasticsearch's bulk API under /elasticsearch: `POST|PUT /_bulk` and `POST|PUT /{index}/_bulk`.
 * Decoding, mapping and the answer are libs/protocols/elasticsearch; this only wires them to the
 * shared ingest path (partial acceptance: valid items stored, invalid ones reported per item).
 */
@ApiExcludeController()
@Controller('elasticsearch')
export class ElasticsearchBulkController {
  constructor(private readonly ingest: LogIngestService) {}

  // One handler per method for both paths (a route's config does not carry over to an @All handler).
  @Post(['_bulk', ':index/_bulk'])
  @HttpCode(200)
  @ProtocolRoute('elasticsearch', { rawBody: true })
  postBulk(
    @Param('index') index: string | undefined,
    @Body() body: Buffer | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Query('_msg_field') messageField: MessageFieldParameter,
    @Tenant() tenant: string,
    @Outcome() outcome: IngestOutcome,
    @Res({ passthrough: true }) reply: BulkReply,
  ): Promise<string> {
    return this.bulk(body, contentType, index, messageField, tenant, outcome, reply);
  }

  // The official clients send PUT as well as POST; Elasticsearch takes both.
  @Put(['_bulk', ':index/_bulk'])
  @HttpCode(200)
  @ProtocolRoute('elasticsearch', { rawBody: true })
  putBulk(
    @Param('index') index: string | undefined,
    @Body() body: Buffer | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Query('_msg_field') messageField: MessageFieldParameter,
    @Tenant() tenant: string,
    @Outcome() outcome: IngestOutcome,
    @Res({ passthrough: true }) reply: BulkReply,
  ): Promise<string> {
    return this.bulk(body, contentType, index, messageField, tenant, outcome, reply);
  }

  private async bulk(
    body: Buffer | undefined,
    contentType: string | undefined,
    urlIndex: string | undefined,
    messageField: MessageFieldParameter,
    tenant: string,
    outcome: IngestOutcome,
    reply: BulkReply,
  ): Promise<string> {
    const started = performance.now();
    const typeProblem = bulkContentTypeProblem(contentType);
    if (typeProblem !== null) throw new RequestError(415, typeProblem);
    let request;
    try {
      request = decodeBulkRequest(body ?? Buffer.alloc(0), {
        urlIndex,
        messageField: Array.isArray(messageField) ? messageField.join(',') : messageField,
      });
    } catch (error) {
      if (error instanceof BulkRequestError) throw new RequestError(400, error.reason, { type: error.type });
      throw error;
    }
    // Items refused before ingest (delete/update, an unparsable source) have no entry; when none has
    // one there is nothing to queue, and the answer reports every item.
    const result =
      request.entries.length === 0
        ? { queued: 0, rejected: [] }
        : await this.ingest.ingestEach(request.entries, tenant, outcome);
    // The entry counters count every item of the request, those refused before ingest included.
    outcome.received = request.items.length;
    outcome.queued = result.queued;
    const answer = encodeBulkResponse(request, result.rejected, performance.now() - started);
    // Set only now: an error on the way is answered by the error filter, in its own content type.
    reply.header('content-type', 'application/json; charset=utf-8');
    return answer;
  }
}
