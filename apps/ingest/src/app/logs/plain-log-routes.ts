import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { authenticate } from '../auth/api-key.guard';
import type { ApiKeyRegistry } from '../auth/api-key.registry';
import type { HttpErrorFilter } from '../http/http-error.filter';
import { countEntriesNow } from '../metrics/http-metrics.hooks';
import type { LogsController } from './logs.controller';

/** What the plain handlers use in place of Nest's guard, parameter decorators and exception filter. */
export interface PlainLogRouteDeps {
  controller: LogsController;
  keys: ApiKeyRegistry;
  errors: HttpErrorFilter;
}

type Submit = (body: unknown, tenant: string) => Promise<unknown>;

/**
 * POST /api/log and /api/logs are the hottest routes, and Nest's router wraps each call in guards,
 * interceptors, pipes, parameter factories and an exception zone: in a --cpu-prof profile under
 * 64-connection single-entry load that was a sizeable share of ingest's CPU per request, for nothing
 * these two routes need (README "Performance"). So LogsController still declares them (the route table,
 * @HttpCode(202), the OpenAPI docs) and holds their logic, but Fastify calls that logic through the
 * handler below instead of Nest's: the same API key check (authenticate, as ApiKeyGuard does), the same
 * tenant, the same 202 and the same error answers (HttpErrorFilter#send). Everything Fastify does around
 * a handler stays as it was: the body parsers, the in-flight body budget, the metrics hooks, the
 * x-logpipe-instance header, 503 while closing.
 *
 * Most requests to these routes never get here: the direct log routes (direct-log-routes.ts) serve the
 * common case before Fastify sees it. These handlers serve the rest (chunked bodies, query strings, the
 * requests `app.inject` sends) with the same logic.
 *
 * Call before app.init(): Nest adds its routes then, and the onRoute hook swaps their handlers as they
 * are added. Fastify's onReady fails the start when a route was renamed and slipped back to Nest's
 * path unnoticed.
 */
export function serveLogRoutesWithoutNest(fastify: FastifyInstance, deps: PlainLogRouteDeps): void {
  const { controller } = deps;
  const plain = new Map<string, Submit>([
    ['/api/log', (body, tenant) => controller.submitOne(body, tenant)],
    ['/api/logs', (body, tenant) => controller.submitMany(body, tenant)],
  ]);
  const served = new Set<string>();
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const submit = route.method === 'POST' ? plain.get(route.url) : undefined;
    if (submit === undefined) return;
    route.handler = plainHandler(submit, deps);
    served.add(route.url);
  });
  fastify.addHook('onReady', (done) => {
    const missing = [...plain.keys()].filter((url) => !served.has(url));
    done(
      missing.length === 0
        ? undefined
        : new Error(`LogsController no longer declares POST ${missing.join(', ')}: see plain-log-routes.ts`),
    );
  });
}

// The 202 body is serialised here, as Fastify's default serialiser would (same bytes, same content type).
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

function plainHandler(submit: Submit, { keys, errors }: PlainLogRouteDeps) {
  // Callback style, not async: Fastify would wrap a returned promise once more per request.
  return function handleLogWrite(request: FastifyRequest, reply: FastifyReply): void {
    let tenant: string;
    try {
      tenant = authenticate(keys, request, reply);
    } catch (error) {
      errors.send(error, request, reply);
      return;
    }
    const body = request.body;
    // Validation is done when submit returns (it is synchronous up to the Redis append), and the parsed
    // entries are not needed after it: not held by the request for the Redis round trip, a 1,000-entry
    // body's objects can die in the young generation instead of being promoted (issue 14: ingest's
    // memory under batch load). The metrics count them first.
    countEntriesNow(request);
    request.body = undefined;
    submit(body, tenant).then(
      (answer) => {
        reply.code(202).header('content-type', JSON_CONTENT_TYPE).send(JSON.stringify(answer));
      },
      (error: unknown) => errors.send(error, request, reply),
    );
  };
}
