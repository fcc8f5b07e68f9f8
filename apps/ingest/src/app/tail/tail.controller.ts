import { LogQueryDto, parseLogQuery, type LogFilter, type RawQuery } from '@logpipe/log-query';
import { Controller, Get, Query, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply } from 'fastify';
import { Tenant } from '../auth/tenant.decorator';
import { ApiTailLogs } from '../docs/routes.openapi';
import { ServiceUnavailableError } from '../http/http-error.filter';
import { RequestError } from '../http/request-errors';
import type { IngestConfig } from '../ingest.config';
import { orBadRequest } from '../query/query-errors';
import { sseEvent, TailReader } from './tail-reader';
import { isTailRefusal, TailSlots, type TailRefusal, type TailSlot } from './tail-slots';
import { TailHub } from './tail.hub';

/**
 * 429 when the tenant holds its share of this instance's tails (its own doing: close one), 503 when the
 * instance is full (anyone's doing: another instance, or later, may have room). nginx tries the 503 on
 * the other instance; it counts neither against the instance (nginx/README.md, "Live tail").
 */
function refusalError(refusal: TailRefusal, retryAfterSeconds: number): Error {
  if (refusal.limit === 'TAIL_MAX_PER_TENANT') {
    return new RequestError(
      429,
      `this tenant already has ${refusal.max} live tails open on this instance (TAIL_MAX_PER_TENANT=${refusal.max}); close one or retry later`,
      undefined,
      retryAfterSeconds,
    );
  }
  return new ServiceUnavailableError(
    `too many live tails on this instance (TAIL_MAX_CLIENTS=${refusal.max}); retry later`,
    retryAfterSeconds,
  );
}

@Controller('api/logs')
export class TailController {
  private readonly slots: TailSlots;

  constructor(
    private readonly hub: TailHub,
    private readonly config: ConfigService<IngestConfig, true>,
  ) {
    this.slots = new TailSlots(
      config.get('TAIL_MAX_CLIENTS', { infer: true }),
      config.get('TAIL_MAX_PER_TENANT', { infer: true }),
    );
  }

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
    const taken = this.slots.take(tenant);
    if (isTailRefusal(taken)) {
      throw refusalError(taken, this.config.get('RETRY_AFTER_SECONDS', { infer: true }));
    }
    try {
      await this.hub.ready();
    } catch (error) {
      taken.release();
      throw error;
    }
    this.stream(taken, tenant, filter, reply);
  }

  /** Turns the reply into the event stream; the slot is given back when the reader closes. */
  private stream(slot: TailSlot, tenant: string, filter: LogFilter, reply: FastifyReply): void {
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
    if (response.socket === null || response.socket.destroyed) {
      slot.release();
      return;
    }
    const reader = new TailReader(response, {
      tenant,
      filter,
      maxBufferedEvents: this.config.get('TAIL_BUFFER_ENTRIES', { infer: true }),
      onClose: (closed, dropped) => {
        slot.release();
        this.hub.remove(closed, dropped);
      },
    });
    this.hub.add(reader);
    reader.send(`retry: 2000\n${sseEvent('ready', { tenant })}`);
  }
}
