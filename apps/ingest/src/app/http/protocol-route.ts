import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

/** The ways in, as the entry metrics label them. `logpipe` is Logpipe's own /api/log(s). */
export type IngestProtocol = 'logpipe' | 'otlp' | 'loki' | 'elasticsearch' | 'syslog';

/** What a route tells the shared HTTP layer (body parsers, error filter, metrics) through Fastify's route config. */
export interface ProtocolRouteConfig {
  logpipeProtocol: IngestProtocol;
  /** The handler takes the (decompressed, size-limited) body bytes as a Buffer, whatever the content type. */
  rawBody: boolean;
}

/**
 * Marks a route as another protocol's endpoint: its errors are answered in that protocol's shape
 * (ProtocolErrorFormats), its entries are counted under its label, and with `rawBody` the body
 * parsers hand over the bytes for the protocol's own decoder (protobuf, snappy, bulk NDJSON).
 */
export function ProtocolRoute(protocol: IngestProtocol, options: { rawBody?: boolean } = {}) {
  const config: ProtocolRouteConfig = { logpipeProtocol: protocol, rawBody: options.rawBody === true };
  return applyDecorators(RouteConfig(config));
}

/**
 * The config of the route a request matched: its protocol settings, if it is a protocol route, and the
 * route pattern (`url`, what request.routeOptions.url returns; undefined when no route matched).
 * Fastify builds request.routeOptions afresh on each read; hot-path callers read it once through this.
 */
export function protocolRouteOf(request: FastifyRequest): Partial<ProtocolRouteConfig> & { url?: string } {
  return (request.routeOptions?.config ?? {}) as Partial<ProtocolRouteConfig> & { url?: string };
}
