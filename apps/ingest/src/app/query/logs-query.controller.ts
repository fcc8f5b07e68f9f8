import {
  LogQueryDto,
  LogQueryService,
  parseLogQuery,
  type LogEntryView,
  type LogHistogram,
  type LogPage,
  type RawQuery,
} from '@logpipe/log-query';
import { Controller, Get, Query } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Tenant } from '../auth/tenant.decorator';
import {
  ApiCountLogs,
  ApiLogContext,
  ApiLogHistogram,
  ApiSearchLogs,
  ApiServices,
} from '../docs/routes.openapi';
import type { IngestConfig } from '../ingest.config';
import { parseContextQuery, parseHistogramQuery } from './console-query.parser';
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

  @Get('histogram')
  @ApiLogHistogram()
  async histogram(@Query() query: LogQueryDto, @Tenant() tenant: string): Promise<LogHistogram> {
    const { filter, interval } = orBadRequest(parseHistogramQuery(query as unknown as RawQuery));
    return this.read(() => this.queries.histogram(tenant, filter, interval));
  }

  @Get('context')
  @ApiLogContext()
  async context(@Query() query: RawQuery, @Tenant() tenant: string): Promise<{ entries: LogEntryView[] }> {
    const { service, atMs, limit } = orBadRequest(parseContextQuery(query));
    return { entries: await this.read(() => this.queries.context(tenant, service, atMs, limit)) };
  }

  private async read<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      throw asHttpError(error, this.config.get('RETRY_AFTER_SECONDS', { infer: true }));
    }
  }
}

/** The caller tenant's services, for the console's service picker. */
@Controller('api/services')
export class ServicesController {
  constructor(
    private readonly queries: LogQueryService,
    private readonly config: ConfigService<IngestConfig, true>,
  ) {}

  @Get()
  @ApiServices()
  async list(@Tenant() tenant: string): Promise<{ services: string[] }> {
    try {
      return { services: await this.queries.services(tenant) };
    } catch (error) {
      throw asHttpError(error, this.config.get('RETRY_AFTER_SECONDS', { infer: true }));
    }
  }
}
