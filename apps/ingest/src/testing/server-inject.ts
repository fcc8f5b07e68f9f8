import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { inject, type InjectOptions, type Response } from 'light-my-request';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Sends a request the way a connection's requests arrive: to the HTTP server's 'request' listener, where
 * the direct log routes (logs/direct-log-routes.ts) take POST /api/log(s) before Fastify. `app.inject`
 * hands a request to Fastify's own handler and so never reaches them. For the integration specs only.
 */
export function injectThroughServer(app: NestFastifyApplication, options: InjectOptions): Promise<Response> {
  const [listener] = app.getHttpServer().listeners('request') as ((
    request: IncomingMessage,
    response: ServerResponse,
  ) => void)[];
  if (listener === undefined) throw new Error('the ingest HTTP server has no request listener');
  return inject(listener, options);
}
