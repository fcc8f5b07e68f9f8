import { GunzippedPayload, type BodyFramePool } from '@logpipe/log-schema';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { tenantPresented } from '../auth/api-key.guard';
import type { ApiKeyRegistry } from '../auth/api-key.registry';
import { budgetSpentError, type InFlightBodyBudget } from '../http/body-budget';
import { parseFramedJsonBody, parseFramedNdjsonBody } from '../http/body-parsers';
import type { DirectLane } from '../http/direct-lane-server';
import { readBodyIntoFrame } from '../http/framed-body';
import type { HttpErrorFilter } from '../http/http-error.filter';
import type { RefusedBodies } from '../http/lingering-close';
import { countLogWrite, entriesIn } from '../metrics/http-metrics.hooks';
import type { IngestMetrics } from '../metrics/ingest.metrics';
import type { CounterTally } from '../metrics/tallied-counter';
import type { LogsController } from './logs.controller';

export interface DirectLogRouteDeps {
  controller: LogsController;
  keys: ApiKeyRegistry;
  errors: HttpErrorFilter;
  metrics: IngestMetrics;
  budget: InFlightBodyBudget;
  refusedBodies: RefusedBodies;
  framePool: BodyFramePool;
  maxBodyBytes: number;
  retryAfterSeconds: number;
  instance: string;
}

const SINGLE = '/api/log';
const BATCH = '/api/logs';
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

// The Content-Type values taken here, lower-cased: the media types the body parsers read, bare or with
// the UTF-8 charset shippers add. Anything else (another charset, other parameters) goes Fastify's way,
// whose content-type parsing has the last word on it.
const withCharset = (type: string) => [type, `${type}; charset=utf-8`, `${type};charset=utf-8`];
const JSON_TYPES = new Set(withCharset('application/json'));
const NDJSON_TYPES = new Set([...withCharset('application/x-ndjson'), ...withCharset('application/ndjson')]);

type BodyKind = 'json' | 'ndjson';

/**
 * POST /api/log and /api/logs served straight from node:http's 'request' event, before Fastify.
 *
 * Issue 14 sets single-entry ingest at ≥ 85% of a bare node:http server doing the same work (the
 * bench's floor). With the routes already on plain Fastify handlers (plain-log-routes.ts), a CPU
 * profile still showed ingest at ~1.5x the floor's CPU per request, in Fastify's request lifecycle and
 * the stream and event machinery it sets up around the body and the reply (BENCHMARKS.md, "where ingest's
 * single entry costs more than the floor's"). So the common case skips it: the same body reading
 * (readBodyIntoFrame, GunzippedPayload), the same in-flight body budget, the same parsers, the same
 * controller methods, the same error answers (HttpErrorFilter#plainAnswer), the same metrics, the
 * same x-logpipe-instance header and lingering on refused bodies.
 *
 * Taken here: POST to exactly /api/log (a JSON body) or /api/logs (JSON or NDJSON), with a
 * Content-Length within MAX_BODY_BYTES, no Transfer-Encoding, identity or gzip encoding, and a valid
 * API key (or none needed), while the server is not closing. Everything else, refusals included (no
 * key, an unknown type or encoding, a Content-Length over the limit, a query string, a chunked body),
 * goes to Fastify, which serves and explains it as before, before a byte of the body has been read.
 * The specs send through the server's 'request' listener, so the cases the lane takes are tested
 * here, and logs-http.integration-spec.ts checks each answer is the one Fastify gives.
 *
 * One difference: an error found once the whole body was read (invalid JSON, an invalid entry, the
 * budget spent) keeps the connection open, where Fastify answers a body-parser error with
 * `Connection: close`; nothing is left to read, so there is nothing to close it for.
 */
export class DirectLogRoutes implements DirectLane {
  private closing = false;
  private readonly servedDirectly: CounterTally;
  /** The duration series of the accepted answers, found once (every other answer looks its own up). */
  private readonly acceptedDuration: Readonly<Record<string, (seconds: number) => void>>;

  constructor(private readonly deps: DirectLogRouteDeps) {
    this.servedDirectly = deps.metrics.writeRequests.tally({ lane: 'direct' });
    const { requestDuration } = deps.metrics;
    this.acceptedDuration = {
      [SINGLE]: requestDuration.seriesObserver('POST', SINGLE, 202),
      [BATCH]: requestDuration.seriesObserver('POST', BATCH, 202),
    };
  }

  /**
   * The server is closing: new requests go to Fastify (503 with Connection: close, which nginx passes
   * to another instance), and answers to the ones in flight close their connections.
   */
  close(): void {
    this.closing = true;
  }

  tryServe(request: IncomingMessage, response: ServerResponse): boolean {
    if (this.closing || request.method !== 'POST') return false;
    const url = request.url;
    if (url !== SINGLE && url !== BATCH) return false;
    const { headers } = request;
    const type = headers['content-type']?.trim().toLowerCase() ?? '';
    const kind: BodyKind | undefined = JSON_TYPES.has(type)
      ? 'json'
      : url === BATCH && NDJSON_TYPES.has(type)
        ? 'ndjson'
        : undefined;
    if (kind === undefined) return false;
    const encoding = headers['content-encoding']?.trim().toLowerCase() ?? '';
    const gzip = encoding === 'gzip' || encoding === 'x-gzip';
    if (!gzip && encoding !== '' && encoding !== 'identity') return false;
    const length = headers['content-length'];
    if (length === undefined || headers['transfer-encoding'] !== undefined) return false;
    if (!(Number(length) <= this.deps.maxBodyBytes)) return false;
    const tenant = tenantPresented(this.deps.keys, request);
    if (tenant === null) return false;
    this.servedDirectly.inc();
    this.serve(request, response, url, kind, gzip, tenant);
    return true;
  }

  private serve(
    request: IncomingMessage,
    response: ServerResponse,
    url: string,
    kind: BodyKind,
    gzip: boolean,
    tenant: string,
  ): void {
    const { controller, budget, framePool, maxBodyBytes } = this.deps;
    const started = performance.now();
    const payload = gzip ? new GunzippedPayload(request, maxBodyBytes) : request;
    readBodyIntoFrame(
      { headers: request.headers, payload, decoded: gzip },
      maxBodyBytes,
      framePool,
      (readError, framed) => {
        if (framed === undefined) return this.refuse(readError, request, response, url, started, 1);
        const taken = framed.body.length;
        if (!budget.tryTake(taken)) {
          framed.frame.release();
          const spent = budgetSpentError(budget, this.deps.retryAfterSeconds);
          return this.refuse(spent, request, response, url, started, 1);
        }
        let entries = 1;
        let submitted: Promise<unknown>;
        try {
          // The parsed body is not kept past submit (which validates it at once): as on the plain
          // Fastify handler, its objects can die young while Redis answers.
          const body = kind === 'json' ? parseFramedJsonBody(framed) : parseFramedNdjsonBody(framed);
          entries = entriesIn(body);
          submitted =
            url === SINGLE ? controller.submitOne(body, tenant) : controller.submitMany(body, tenant);
        } catch (error) {
          budget.release(taken);
          return this.refuse(error, request, response, url, started, entries);
        }
        submitted.then(
          (answer) => {
            budget.release(taken);
            this.answer(response, 202, JSON.stringify(answer), undefined);
            this.count(url, 202, started, entries);
          },
          (error: unknown) => {
            budget.release(taken);
            this.refuse(error, request, response, url, started, entries);
          },
        );
      },
    );
  }

  /** Answers an error as HttpErrorFilter does; a body still arriving is read on and dropped for a while. */
  private refuse(
    error: unknown,
    request: IncomingMessage,
    response: ServerResponse,
    url: string,
    started: number,
    entries: number,
  ): void {
    const { status, retryAfter, body } = this.deps.errors.plainAnswer(error);
    const headers: OutgoingHttpHeaders = {};
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    // Left unread, the rest would be reset by the kernel before the client reads this (lingering-close.ts).
    if (!request.complete && !this.deps.refusedBodies.lingerOn(request)) headers['connection'] = 'close';
    this.answer(response, status, JSON.stringify(body), headers);
    this.count(url, status, started, entries);
  }

  private answer(
    response: ServerResponse,
    status: number,
    text: string,
    extra: OutgoingHttpHeaders | undefined,
  ): void {
    const headers: OutgoingHttpHeaders = {
      'content-type': JSON_CONTENT_TYPE,
      'content-length': Buffer.byteLength(text),
      'x-logpipe-instance': this.deps.instance,
      ...extra,
    };
    if (this.closing) headers['connection'] = 'close';
    // Nothing may throw out of here: it runs in a promise callback, where a throw would be an unhandled
    // rejection (fatal to the process) rather than one request's failure.
    try {
      response.writeHead(status, headers);
      response.end(text);
    } catch (error) {
      response.destroy(error as Error);
    }
  }

  private count(url: string, status: number, started: number, entries: number): void {
    const { metrics } = this.deps;
    const seconds = (performance.now() - started) / 1000;
    if (status === 202) this.acceptedDuration[url](seconds);
    else metrics.requestDuration.observe('POST', url, status, seconds);
    countLogWrite(metrics, status, entries);
  }
}
