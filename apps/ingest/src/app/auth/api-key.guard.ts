import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestError } from '../http/request-errors';
import { ApiKeyRegistry } from './api-key.registry';
import { IS_PUBLIC } from './public.decorator';
import { TENANT_OF_REQUEST, type RequestWithTenant } from './tenant.decorator';

/** `Authorization: Bearer <key>`, else `X-API-Key: <key>`. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers['authorization'];
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' ? header.trim() : undefined;
}

/**
 * Every route needs an API key unless it is marked @Public() (health, metrics): new routes are
 * protected by default. Runs before the handler, so a request without a valid key writes nothing.
 * The key is never logged or echoed.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeyRegistry,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]))
      return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & RequestWithTenant>();
    const presented = presentedKey(request);
    const tenant = this.keys.tenantOf(presented);
    if (tenant === null) {
      http.getResponse<FastifyReply>().header('WWW-Authenticate', 'Bearer realm="logpipe"');
      throw new RequestError(
        401,
        presented === undefined
          ? 'an API key is required: send Authorization: Bearer <key> (or X-API-Key: <key>)'
          : 'the API key is not valid',
      );
    }
    request[TENANT_OF_REQUEST] = tenant;
    return true;
  }
}
