import 'reflect-metadata';
import {
  createJsonLogger,
  exitGracefullyOnSignals,
  memoryReducerProblem,
  type ServiceLogLevel,
} from '@logpipe/app-runtime';
import { BodyFramePool } from '@logpipe/log-schema';
import { Logger, type Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { getHeapStatistics } from 'node:v8';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app/app.module';
import { ApiKeyRegistry } from './app/auth/api-key.registry';
import { setupOpenApi } from './app/docs/openapi';
import { bodyHeapProblem, InFlightBodyBudget } from './app/http/body-budget';
import { registerBodyParsers } from './app/http/body-parsers';
import { HttpErrorFilter } from './app/http/http-error.filter';
import { DirectLaneServer } from './app/http/direct-lane-server';
import { lingerOnRefusedBodies, RefusedBodies } from './app/http/lingering-close';
import { ProtocolErrorFormats } from './app/http/protocol-error-formats';
import type { IngestConfig } from './app/ingest.config';
import { DirectLogRoutes } from './app/logs/direct-log-routes';
import { LogsController } from './app/logs/logs.controller';
import { serveLogRoutesWithoutNest } from './app/logs/plain-log-routes';
import { registerHttpMetrics } from './app/metrics/http-metrics.hooks';
import { IngestMetrics } from './app/metrics/ingest.metrics';

/**
 * Builds the ingest HTTP application without listening (tests use it with `app.inject`). `rootModule`
 * is AppModule; a test may pass a module that imports AppModule and adds routes of its own.
 */
export async function createIngestApp(rootModule: Type = AppModule): Promise<NestFastifyApplication> {
  const logger = createJsonLogger((process.env['LOG_LEVEL'] as ServiceLogLevel) ?? 'info', 'ingest');
  // POST /api/log(s) in the common case are served before Fastify (logs/direct-log-routes.ts).
  const server = new DirectLaneServer();
  const adapter = new FastifyAdapter({
    serverFactory: server.serverFactory,
    // Body size is enforced per parser below, after decompression; this is only the outer bound.
    bodyLimit: 100 * 1024 * 1024,
    requestIdHeader: 'x-request-id',
    trustProxy: true,
    // While closing, keep-alive requests get 503 + Connection: close: the client retries (nginx passes
    // 503s on, see nginx/README.md), and nginx's next connect is refused and goes elsewhere.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
    logger,
    // Our own parsers (strict UTF-8, NDJSON, gzip) replace the ones Nest would register.
    bodyParser: false,
  });
  const config = app.get<ConfigService<IngestConfig, true>>(ConfigService);
  const fastify = app.getHttpAdapter().getInstance();
  const maxBodyBytes = config.get('MAX_BODY_BYTES', { infer: true });
  const budgetBytes = config.get('MAX_IN_FLIGHT_BODY_BYTES', { infer: true });
  const heapProblem = bodyHeapProblem(budgetBytes, maxBodyBytes, getHeapStatistics().heap_size_limit);
  if (heapProblem !== null) new Logger('Memory').warn(heapProblem);
  const reducerProblem = memoryReducerProblem();
  if (reducerProblem !== null) new Logger('Memory').warn(reducerProblem);
  const budget = new InFlightBodyBudget(budgetBytes);
  const retryAfterSeconds = config.get('RETRY_AFTER_SECONDS', { infer: true });
  const framePool = app.get(BodyFramePool);
  registerBodyParsers(fastify, { maxBodyBytes, budget, retryAfterSeconds, framePool });
  // A body refused before it was all read is read on (and dropped) for a while, so the client reads the 4xx.
  const refusedBodies = new RefusedBodies();
  lingerOnRefusedBodies(fastify, refusedBodies);
  const instance = config.get('INSTANCE_ID', { infer: true });
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.header('x-logpipe-instance', instance);
    done();
  });
  const metrics = app.get(IngestMetrics);
  registerHttpMetrics(fastify, metrics);
  const errors = new HttpErrorFilter(retryAfterSeconds, maxBodyBytes, app.get(ProtocolErrorFormats));
  app.useGlobalFilters(errors);
  // POST /api/log and /api/logs: LogsController's logic, called by plain Fastify handlers (see there why)
  // for the requests the direct log routes leave to Fastify, and by those for the rest.
  const controller = app.get(LogsController);
  const keys = app.get(ApiKeyRegistry);
  serveLogRoutesWithoutNest(fastify, { controller, keys, errors });
  const direct = new DirectLogRoutes({
    controller,
    keys,
    errors,
    metrics,
    budget,
    refusedBodies,
    framePool,
    maxBodyBytes,
    retryAfterSeconds,
    instance,
  });
  fastify.addHook('preClose', (done) => {
    direct.close();
    done();
  });
  server.useLane(direct);
  // /docs: the OpenAPI document of the routes, request bodies and parameters generated from the DTOs.
  setupOpenApi(app);
  return app;
}

/** Starts the ingest service; main.ts and the e2e tests call this. */
export async function bootstrap(): Promise<NestFastifyApplication> {
  const app = await createIngestApp();
  const config = app.get<ConfigService<IngestConfig, true>>(ConfigService);
  // SIGTERM/SIGINT close Fastify (stop accepting, finish in-flight requests), then Redis; exit 0.
  exitGracefullyOnSignals(app, {
    budgetMs: config.get('SHUTDOWN_TIMEOUT_MS', { infer: true }),
    logger: new Logger('Shutdown'),
  });
  await app.listen({ host: config.get('HOST', { infer: true }), port: config.get('PORT', { infer: true }) });
  return app;
}
