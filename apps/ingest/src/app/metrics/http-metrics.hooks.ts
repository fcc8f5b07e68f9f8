import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NdjsonLines } from '../http/body-parsers';
import { protocolRouteOf } from '../http/protocol-route';
import { INGEST_OUTCOME, type RequestWithOutcome } from './ingest-outcome';
import { IngestMetrics, rejectionReason } from './ingest.metrics';

const STARTED = Symbol('logpipe:started');
const ENTRIES = Symbol('logpipe:entries');
const WRITE_ROUTES = new Set(['/api/log', '/api/logs']);

type TimedRequest = FastifyRequest & RequestWithOutcome & { [STARTED]?: number; [ENTRIES]?: number };

/**
 * Counts the entries of a write request's body for onResponse now, so that its handler can let go of
 * the parsed body while the entries are on their way to Redis (plain-log-routes.ts).
 */
export function countEntriesNow(request: FastifyRequest): void {
  (request as TimedRequest)[ENTRIES] = entriesIn(request.body);
}

/** Entries in a write request's body: a batch's length, 1 for one entry or a body that never parsed. */
export function entriesIn(body: unknown): number {
  if (Array.isArray(body)) return body.length;
  if (body instanceof NdjsonLines) return body.values.length;
  return 1;
}

/**
 * Request duration for every route, and the entry counters for the write routes, taken from
 * Fastify's hooks: onResponse sees every answer, including the ones Fastify or the body parsers gave
 * before Nest ran (413, 415, broken JSON). /api/log(s) is all or nothing (countLogWrite); the requests
 * to them that the direct log routes serve never reach Fastify and are counted there. A protocol route's
 * handler leaves an IngestOutcome (records received, entries queued), since those answer 2xx to a
 * partial success; one that failed before its handler decoded anything counts as one rejected entry.
 */
export function registerHttpMetrics(fastify: FastifyInstance, metrics: IngestMetrics): void {
  const servedByFramework = metrics.writeRequests.tally({ lane: 'framework' });
  // Callback-style hooks: an async hook costs a promise per request on the hottest path.
  fastify.addHook('onRequest', (request: TimedRequest, _reply, done) => {
    // performance.now(): a double in ms, where process.hrtime.bigint() allocated two BigInts per request.
    request[STARTED] = performance.now();
    done();
  });
  fastify.addHook('onResponse', (request: TimedRequest, reply, done) => {
    const routeConfig = protocolRouteOf(request);
    const route = routeConfig.url ?? 'unmatched';
    const status = reply.statusCode;
    const started = request[STARTED];
    if (started !== undefined) {
      metrics.requestDuration.observe(request.method, route, status, (performance.now() - started) / 1000);
    }
    const protocol = routeConfig.logpipeProtocol;
    // A protocol's GET/HEAD (a handshake or probe, refused or not) carries no entries to count.
    if (protocol !== undefined && request.method !== 'GET' && request.method !== 'HEAD') {
      countProtocolWrite(metrics, protocol, status, request[INGEST_OUTCOME]);
    } else if (request.method === 'POST' && WRITE_ROUTES.has(route)) {
      servedByFramework.inc();
      countLogWrite(metrics, status, request[ENTRIES] ?? entriesIn(request.body));
    }
    done();
  });
}

/**
 * Counts a POST /api/log(s) answer: all or nothing, so a 202 queued every entry of the body and any
 * other status refused every one (for the status's reason). The onResponse hook and the direct log
 * routes (logs/direct-log-routes.ts) both count through this.
 */
export function countLogWrite(metrics: IngestMetrics, status: number, entries: number): void {
  metrics.logpipeEntries.received.inc(entries);
  if (status === 202) metrics.logpipeEntries.queued.inc(entries);
  else metrics.entriesRejected.inc({ protocol: 'logpipe', reason: rejectionReason(status) }, entries);
}

function countProtocolWrite(
  metrics: IngestMetrics,
  protocol: string,
  status: number,
  outcome: { received: number; queued: number } | undefined,
): void {
  // A write-method call that carries no entries (an Elasticsearch template or ILM PUT) counts none;
  // GET and HEAD probes never get here.
  if (outcome === undefined && status < 400) return;
  // A request refused before its records were decoded (bad body, no key) counts as one entry, as on /api/logs.
  const received = outcome === undefined || (status >= 400 && outcome.received === 0) ? 1 : outcome.received;
  metrics.entriesReceived.inc({ protocol }, received);
  if (status < 400) {
    metrics.entriesQueued.inc({ protocol }, outcome?.queued ?? 0);
    const invalid = received - (outcome?.queued ?? 0);
    if (invalid > 0) metrics.entriesRejected.inc({ protocol, reason: 'invalid' }, invalid);
  } else {
    metrics.entriesRejected.inc({ protocol, reason: rejectionReason(status) }, received);
  }
}
