import 'reflect-metadata';
import { createJsonLogger, exitGracefullyOnSignals, type ServiceLogLevel } from '@logpipe/app-runtime';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app/app.module';
import type { WorkerConfig } from './app/worker.config';

/** Starts the worker as a standalone Nest application (no HTTP API); e2e tests call it too. */
export async function bootstrap() {
  const logger = createJsonLogger((process.env['LOG_LEVEL'] as ServiceLogLevel) ?? 'info', 'worker');
  const app = await NestFactory.createApplicationContext(AppModule, { logger });
  await app.init();
  // SIGTERM/SIGINT: stop reading, finish and acknowledge the batch in flight, close Redis and
  // PostgreSQL, exit 0. The consumer has its own budget; this one (a little longer) bounds the rest.
  const budget = app
    .get<ConfigService<WorkerConfig, true>>(ConfigService)
    .get('SHUTDOWN_TIMEOUT_MS', { infer: true });
  exitGracefullyOnSignals(app, { budgetMs: budget + 5000, logger });
  return app;
}
