import 'reflect-metadata';
import {
  createJsonLogger,
  exitGracefullyOnSignals,
  memoryReducerProblem,
  type ServiceLogLevel,
} from '@logpipe/app-runtime';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { getHeapStatistics } from 'node:v8';
import { AppModule } from './app/app.module';
import { readHeapProblem } from './app/ingestion/read-heap-headroom';
import type { WorkerConfig } from './app/worker.config';

/** Starts the worker as a standalone Nest application (no HTTP API); e2e tests call it too. */
export async function bootstrap() {
  const logger = createJsonLogger((process.env['LOG_LEVEL'] as ServiceLogLevel) ?? 'info', 'worker');
  const app = await NestFactory.createApplicationContext(AppModule, { logger });
  const config = app.get<ConfigService<WorkerConfig, true>>(ConfigService);
  const heapProblem = readHeapProblem(
    config.get('READ_MAX_BYTES', { infer: true }),
    config.get('MAX_BATCHES_IN_FLIGHT', { infer: true }),
    getHeapStatistics().heap_size_limit,
  );
  if (heapProblem !== null) new Logger('Memory').warn(heapProblem);
  const reducerProblem = memoryReducerProblem();
  if (reducerProblem !== null) new Logger('Memory').warn(reducerProblem);
  await app.init();
  // SIGTERM/SIGINT: stop reading, finish and acknowledge the batch in flight, close Redis and
  // PostgreSQL, exit 0. The consumer has its own budget; this one (a little longer) bounds the rest.
  const budget = config.get('SHUTDOWN_TIMEOUT_MS', { infer: true });
  exitGracefullyOnSignals(app, { budgetMs: budget + 5000, logger });
  return app;
}
