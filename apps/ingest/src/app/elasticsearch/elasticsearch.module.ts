import { PRODUCT_HEADER, encodeErrorBody } from '@logpipe/protocol-elasticsearch';
import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ProtocolErrorFormats } from '../http/protocol-error-formats';
import { ElasticsearchBulkController } from './elasticsearch-bulk.controller';
import { ElasticsearchClusterController } from './elasticsearch-cluster.controller';

const BASE_PATH = '/elasticsearch';
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'date',
]);

function isElasticsearchUrl(url: string): boolean {
  return (
    url.startsWith(BASE_PATH) &&
    (url.length === BASE_PATH.length || url[BASE_PATH.length] === '/' || url[BASE_PATH.length] === '?')
  );
}

/**
 * Elasticsearch's bulk API and handshake under /elasticsearch (docs/protocols/elasticsearch.md).
 * Its errors are answered in Elasticsearch's shape, and every answer carries X-Elastic-Product, which
 * the official clients (7.14+) and Logstash require before they talk to a server.
 */
@Module({ controllers: [ElasticsearchBulkController, ElasticsearchClusterController] })
export class ElasticsearchModule implements OnModuleInit {
  constructor(
    formats: ProtocolErrorFormats,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    formats.register('elasticsearch', (error) => {
      const type = typeof error.details?.['type'] === 'string' ? error.details['type'] : undefined;
      return {
        contentType: 'application/json; charset=utf-8',
        body: JSON.stringify(encodeErrorBody(error.status, error.message, type)),
      };
    });
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // onRequest, before the guard and the body parsers: their refusals (401, 413, 415) carry it too.
    fastify.addHook('onRequest', (request, reply, done) => {
      if (isElasticsearchUrl(request.url)) reply.header(PRODUCT_HEADER.name, PRODUCT_HEADER.value);
      done();
    });
    // The clients request the handshake as `${node}/`, i.e. /elasticsearch/ with the trailing slash, but
    // Nest strips trailing slashes from route paths and its router then finds no route for it. This
    // one Fastify route serves it by answering exactly as GET /elasticsearch does (the Nest route, with
    // the key check and the error shape), so there is still one handshake.
    fastify.route({
      method: ['GET', 'HEAD'],
      url: `${BASE_PATH}/`,
      handler: async (request, reply) => {
        const query = request.url.indexOf('?');
        const answer = await fastify.inject({
          method: request.method as 'GET' | 'HEAD',
          url: BASE_PATH + (query === -1 ? '' : request.url.slice(query)),
          headers: request.headers,
        });
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) reply.header(name, value);
        }
        return reply.status(answer.statusCode).send(answer.rawPayload);
      },
    });
  }
}
