import type { FastifyServerFactory } from 'fastify';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** Serves some requests before Fastify sees them. */
export interface DirectLane {
  /**
   * Takes `request` and answers it, returning true; or returns false having read and written nothing,
   * and Fastify serves it.
   */
  tryServe(request: IncomingMessage, response: ServerResponse): boolean;
}

/** Fastify's server options that Fastify itself applies to the HTTP server it makes. */
interface ServerTimeouts {
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number;
}

/**
 * Fastify's `serverFactory` for ingest: the HTTP server Fastify would make itself, with the same
 * timeouts, whose requests are offered to a DirectLane first (once one is set with useLane) and go to
 * Fastify when it does not take them. The lane is set after the Nest application exists, since what it
 * serves with (the controller, the metrics) comes from there; until then Fastify serves everything.
 *
 * `app.inject` (light-my-request) calls Fastify's handler directly and never passes here: the specs
 * that mean the lane send to the server's 'request' listener (testing/server-inject.ts).
 */
export class DirectLaneServer {
  private lane: DirectLane | undefined;

  readonly serverFactory: FastifyServerFactory = (fastifyHandler, options) => {
    const server = createServer((request, response) => {
      if (this.lane === undefined || !this.lane.tryServe(request, response))
        fastifyHandler(request, response);
    });
    // What Fastify's own getServerInstance sets on the server it makes; a serverFactory's server is
    // left as it comes. Node's default would close an idle keep-alive connection after 5 s, where
    // Fastify keeps it 72 s, longer than nginx keeps an idle upstream one (keepalive_timeout 60s in
    // nginx/logpipe.conf.template): nginx, not ingest, closes it, and never while sending on it.
    const timeouts = options as ServerTimeouts;
    if (timeouts.keepAliveTimeout !== undefined) server.keepAliveTimeout = timeouts.keepAliveTimeout;
    if (timeouts.requestTimeout !== undefined) server.requestTimeout = timeouts.requestTimeout;
    server.setTimeout(timeouts.connectionTimeout ?? 0);
    if ((timeouts.maxRequestsPerSocket ?? 0) > 0)
      server.maxRequestsPerSocket = timeouts.maxRequestsPerSocket!;
    return server;
  };

  useLane(lane: DirectLane): void {
    this.lane = lane;
  }
}
