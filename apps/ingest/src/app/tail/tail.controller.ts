import { LogQueryDto, parseLogQuery, type RawQuery } from '@logpipe/log-query';
import { Controller, Get, Query, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply } from 'fastify';
import { Tenant } from '../auth/tenant.decorator';
import { ApiTailLogs } from '../docs/routes.openapi';
import { ServiceUnavailableError } from '../http/http-error.filter';
import type { IngestConfig } from '../ingest.config';
import { orBadRequest } from '../query/query-errors';
import { sseEvent, TailReader } from './tail-reader';
import { TailHub } from './tail.hub';

@Controller('api/logs')
export class TailController {
  constructor(
    private readonly hub: TailHub,
    private readonly config: ConfigService<IngestConfig, true>,
  ) {}

  /**
   * Server-Sent Events of the caller's tenant's new entries. Everything that can fail (parameters,
   * capacity, Redis) fails before the stream starts, as an ordinary JSON error; `event: ready` then
   * says the subscription is live: any entry accepted after it arrives.
   */
  @Get('tail')
  @ApiTailLogs()
  async tail(
    @Query() query: LogQueryDto,
    @Tenant() tenant: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const filter = orBadRequest(parseLogQuery(query as unknown as RawQuery, 'filter'));
    const retryAfter = this.config.get('RETRY_AFTER_SECONDS', { infer: true });
    if (this.hub.capacityLeft <= 0) {
      throw new ServiceUnavailableError(
        'too many live tail readers on this instance (TAIL_MAX_CLIENTS); retry later',
        retryAfter,
      );
    }
    await this.hub.ready();
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx passes the stream through unbuffered when the upstream says so.
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    // The client may have gone while the loop started: nothing to serve, and no 'close' event to come.
    if (response.socket === null || response.socket.destroyed) return;
    const reader = new TailReader(response, {
      tenant,
      filter,
      maxBufferedEvents: this.config.get('TAIL_BUFFER_ENTRIES', { infer: true }),
      onClose: (closed, dropped) => this.hub.remove(closed, dropped),
    });
    this.hub.add(reader);
    reader.send(`retry: 2000\n${sseEvent('ready', { tenant })}`);
  }
}
