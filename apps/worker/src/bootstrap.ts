import 'reflect-metadata';
import { createJsonLogger, type ServiceLogLevel } from '@logpipe/app-config';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app/app.module';

/** Starts the worker as a standalone Nest application (no HTTP API); e2e tests call it too. */
export async function bootstrap() {
  const logger = createJsonLogger((process.env['LOG_LEVEL'] as ServiceLogLevel) ?? 'info', 'worker');
  const app = await NestFactory.createApplicationContext(AppModule, { logger });
  // SIGTERM/SIGINT run the shutdown hooks: stop reading, finish and acknowledge the batch in
  // flight, then close Redis and PostgreSQL.
  app.enableShutdownHooks();
  await app.init();
  return app;
}
