import { LogQueryDto, LogQueryService, parseLogQuery, type LogPage, type RawQuery } from '@logpipe/log-query';
import { Controller, Get, Query } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Tenant } from '../auth/tenant.decorator';
import { ApiCountLogs, ApiSearchLogs } from '../docs/routes.openapi';
import type { IngestConfig } from '../ingest.config';
import { asHttpError, orBadRequest } from './query-errors';

/**
 * The read API. Every query is scoped to the caller's tenant (from the API key) before any filter is
 * looked at; the parameters never name a tenant.
 */
@Controller('api/logs')
export class LogsQueryController {
  constructor(
    private readonly queries: LogQueryService,
    private readonly config: ConfigService<IngestConfig, true>,
  ) {}

  // `query` is the raw query string (no pipe transforms it); parseLogQuery checks it against
  // LogQueryDto's rules. Typing it as the DTO is what lets /docs list the parameters.
  @Get()
  @ApiSearchLogs()
  async search(@Query() query: LogQueryDto, @Tenant() tenant: string): Promise<LogPage> {
    const search = orBadRequest(parseLogQuery(query as unknown as RawQuery, 'search'));
    return this.read(() => this.queries.search(tenant, search));
  }

  @Get('count')
  @ApiCountLogs()
  async count(@Query() query: LogQueryDto, @Tenant() tenant: string): Promise<{ count: number }> {
    const filter = orBadRequest(parseLogQuery(query as unknown as RawQuery, 'filter'));
    return { count: await this.read(() => this.queries.count(tenant, filter)) };
  }

  private async read<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      throw asHttpError(error, this.config.get('RETRY_AFTER_SECONDS', { infer: true }));
    }
  }
}
