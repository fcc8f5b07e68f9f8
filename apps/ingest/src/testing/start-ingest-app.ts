import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Builds a fresh, initialised ingest app (not listening; use `app.inject`) with `env` added to
 * process.env. Config is read when the modules are evaluated, so they are loaded afresh in an isolated
 * registry each time. For the integration specs only.
 */
export async function startIngestApp(
  env: Record<string, string>,
  /** Builds a root module (importing AppModule) from modules required in the same isolated registry. */
  rootModule?: () => Type,
): Promise<NestFastifyApplication> {
  Object.assign(process.env, { LOG_LEVEL: 'error', ...env });
  let app!: NestFastifyApplication;
  await jest.isolateModulesAsync(async () => {
    // require, not import(): the module must be evaluated afresh inside the isolated registry.
    const { createIngestApp } = require('../bootstrap') as typeof import('../bootstrap');
    app = await createIngestApp(rootModule?.());
  });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
