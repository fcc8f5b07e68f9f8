import {
  acknowledged,
  clusterHealth,
  clusterInfo,
  indexInfo,
  licenseInfo,
  refreshed,
  xpackInfo,
} from '@logpipe/protocol-elasticsearch';
import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ProtocolRoute } from '../http/protocol-route';
import { RequestError } from '../http/request-errors';

const BASE_PATH = '/elasticsearch';

function pathOf(request: FastifyRequest): string {
  const path = request.url.split('?')[0];
  return path.startsWith(BASE_PATH) ? path.slice(BASE_PATH.length) || '/' : path;
}

/** A clear 4xx in Elasticsearch's shape for what Logpipe does not serve: never a 5xx. */
function noHandler(request: FastifyRequest): RequestError {
  return new RequestError(
    404,
    `Logpipe's Elasticsearch API has no handler for [${request.method} ${pathOf(request).slice(0, 200)}]: it stores bulk writes (POST /elasticsearch/_bulk) and answers the handshake and setup calls listed in docs/protocols/elasticsearch.md`,
    { type: 'resource_not_found_exception' },
  );
}

// The template APIs whose objects Logpipe has no use for, by path segment: a PUT is acknowledged and
// nothing is kept, so a lookup truthfully finds nothing (a shipper that checks before it installs
// then installs again).
const TEMPLATE_APIS: ReadonlyMap<string, string> = new Map([
  ['_index_template', 'index template'],
  ['_component_template', 'component template'],
  ['_template', 'template'],
]);

function notKept(what: string, name: string): RequestError {
  return new RequestError(
    404,
    `${what} [${name.slice(0, 200)}] not found: Logpipe keeps none (a PUT is acknowledged and ignored)`,
    { type: 'resource_not_found_exception' },
  );
}

/**
 * The handshake and the probe and setup calls Elasticsearch clients and shippers make besides
 * `_bulk` (Filebeat, Logstash, Vector, Fluent Bit, syslog-ng, @elastic/elasticsearch), answered
 * minimally and truthfully (see libs/protocols/elasticsearch cluster-answers.ts). Every route is an
 * Elasticsearch protocol route, so even a 401 or 404 comes in Elasticsearch's error shape.
 */
@ApiExcludeController()
@Controller('elasticsearch')
export class ElasticsearchClusterController {
  // Fastify answers HEAD (Logstash's health check) from this GET route, without the body.
  @Get()
  @ProtocolRoute('elasticsearch')
  info() {
    return clusterInfo();
  }

  @Get('_license')
  @ProtocolRoute('elasticsearch')
  license() {
    return licenseInfo();
  }

  @Get('_xpack')
  @ProtocolRoute('elasticsearch')
  xpack() {
    return xpackInfo();
  }

  @Get('_cluster/health')
  @ProtocolRoute('elasticsearch')
  health() {
    return clusterHealth();
  }

  @Put(':api/:name')
  @ProtocolRoute('elasticsearch', { rawBody: true })
  putSetup(@Req() request: FastifyRequest, @Param('api') api: string) {
    if (!TEMPLATE_APIS.has(api)) throw noHandler(request);
    return acknowledged();
  }

  @Get(':api/:name')
  @ProtocolRoute('elasticsearch')
  getSetup(@Req() request: FastifyRequest, @Param('api') api: string, @Param('name') name: string) {
    const what = TEMPLATE_APIS.get(api);
    if (what === undefined) throw noHandler(request);
    throw notKept(what, name);
  }

  @Put('_ilm/policy/:name')
  @ProtocolRoute('elasticsearch', { rawBody: true })
  putPolicy() {
    return acknowledged();
  }

  @Get('_ilm/policy/:name')
  @ProtocolRoute('elasticsearch')
  getPolicy(@Param('name') name: string) {
    throw notKept('lifecycle policy', name);
  }

  // pino-elasticsearch (through helpers.bulk's refreshOnCompletion) refreshes its index when it is done.
  @Post('_refresh')
  @HttpCode(200)
  @ProtocolRoute('elasticsearch', { rawBody: true })
  refreshAll() {
    return refreshed();
  }

  @Post(':index/_refresh')
  @HttpCode(200)
  @ProtocolRoute('elasticsearch', { rawBody: true })
  refreshIndex() {
    return refreshed();
  }

  // The 8.x client's indices.refresh() sends GET.
  @Get('_refresh')
  @ProtocolRoute('elasticsearch')
  getRefreshAll() {
    return refreshed();
  }

  @Get(':index/_refresh')
  @ProtocolRoute('elasticsearch')
  getRefreshIndex() {
    return refreshed();
  }

  /** `GET|HEAD /{index}`: any index can be written to, and none has mappings or settings. */
  @Get(':index')
  @ProtocolRoute('elasticsearch')
  getIndex(@Req() request: FastifyRequest, @Param('index') index: string) {
    // Names starting with `_` are Elasticsearch APIs, never indices: those not served above are unknown.
    if (index.startsWith('_')) throw noHandler(request);
    return indexInfo(index);
  }

  /** `PUT /{index}`: creating an index is a no-op. */
  @Put(':index')
  @ProtocolRoute('elasticsearch', { rawBody: true })
  putIndex(@Req() request: FastifyRequest, @Param('index') index: string) {
    if (index.startsWith('_')) throw noHandler(request);
    return acknowledged({ shards_acknowledged: true, index });
  }

  // Everything else, per method (Nest's @All bypasses Fastify's route config, which carries the
  // protocol, so these errors would not come in Elasticsearch's shape).
  @Get('*')
  @ProtocolRoute('elasticsearch')
  getOther(@Req() request: FastifyRequest) {
    throw noHandler(request);
  }

  @Post('*')
  @ProtocolRoute('elasticsearch', { rawBody: true })
  postOther(@Req() request: FastifyRequest) {
    throw noHandler(request);
  }

  @Put('*')
  @ProtocolRoute('elasticsearch', { rawBody: true })
  putOther(@Req() request: FastifyRequest) {
    throw noHandler(request);
  }

  @Delete('*')
  @ProtocolRoute('elasticsearch', { rawBody: true })
  deleteOther(@Req() request: FastifyRequest) {
    throw noHandler(request);
  }

  @Patch('*')
  @ProtocolRoute('elasticsearch', { rawBody: true })
  patchOther(@Req() request: FastifyRequest) {
    throw noHandler(request);
  }
}
