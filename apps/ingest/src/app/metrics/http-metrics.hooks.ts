import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NdjsonLines } from '../http/body-parsers';
import { IngestMetrics, rejectionReason } from './ingest.metrics';

const STARTED = Symbol('logpipe:started');
const WRITE_ROUTES = new Set(['/api/log', '/api/logs']);

type TimedRequest = FastifyRequest & { [STARTED]?: bigint };

/** Entries in a write request's body: a batch's length, 1 for one entry or a body that never parsed. */
export function entriesIn(body: unknown): number {
  if (Array.isArray(body)) return body.length;
  if (body instanceof NdjsonLines) return body.values.length;
  return 1;
}

/**
 * Request duration for every route, and the entry counters for the two write routes, taken from
 * Fastify's hooks: onResponse sees every answer, including the ones Fastify or the body parsers gave
 * before Nest ran (413, 415, broken JSON). A write is all or nothing, so a 202 queued every entry of
 * the body and any other answer refused every one.
 */
export function registerHttpMetrics(fastify: FastifyInstance, metrics: IngestMetrics): void {
  // Callback-style hooks: an async hook costs a promise per request on the hottest path.
  fastify.addHook('onRequest', (request: TimedRequest, _reply, done) => {
    request[STARTED] = process.hrtime.bigint();
    done();
  });
  fastify.addHook('onResponse', (request: TimedRequest, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const started = request[STARTED];
    if (started !== undefined) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.requestDuration.observe({ method: request.method, route, status: String(status) }, seconds);
    }
    if (request.method === 'POST' && WRITE_ROUTES.has(route)) {
      const entries = entriesIn(request.body);
      metrics.entriesReceived.inc(entries);
      if (status === 202) metrics.entriesQueued.inc(entries);
      else metrics.entriesRejected.inc({ reason: rejectionReason(status) }, entries);
    }
    done();
  });
}
