import { DEFAULT_TENANT } from '@logpipe/log-schema';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { RequestError } from '../http/request-errors';
import { ApiKeyRegistry } from './api-key.registry';
import { IS_PUBLIC } from './public.decorator';
import { TENANT_OF_REQUEST, type RequestWithTenant } from './tenant.decorator';

/** The key an `Authorization` header carries, in the schemes log shippers use; undefined for none. */
function keyFromAuthorization(header: string): string | undefined {
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header);
  if (match === null) throw new RequestError(401, 'the Authorization header is malformed');
  const [, scheme, value] = match;
  switch (scheme.toLowerCase()) {
    case 'bearer':
      return value;
    case 'basic': {
      // Loki and Elasticsearch clients send Basic auth: the key is the password, the user is free.
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const password = colon === -1 ? '' : decoded.slice(colon + 1);
      if (password === '') {
        throw new RequestError(
          401,
          'HTTP Basic credentials carry the API key as the password; none was given',
        );
      }
      return password;
    }
    case 'apikey': {
      // Elasticsearch's `ApiKey base64(id:api_key)`: the api_key part is the Logpipe key.
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon === -1 ? decoded : decoded.slice(colon + 1);
    }
    default:
      throw new RequestError(
        401,
        `the Authorization scheme "${scheme}" is not supported; use Bearer, Basic (key as password) or ApiKey`,
      );
  }
}

/**
 * The API key a request presents: `Authorization: Bearer <key>`, `Basic base64(user:key)` or
 * `ApiKey base64(id:key)`, or `X-API-Key: <key>`. Two different keys on one request are refused (400)
 * rather than served as either one: which tenant the caller meant is not ours to guess.
 */
export function presentedKey(request: { headers: IncomingHttpHeaders }): string | undefined {
  const authorization = request.headers['authorization'];
  const fromAuthorization =
    typeof authorization === 'string' && authorization.trim() !== ''
      ? keyFromAuthorization(authorization.trim())
      : undefined;
  const header = request.headers['x-api-key'];
  const fromHeader = typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
  if (fromAuthorization !== undefined && fromHeader !== undefined && fromAuthorization !== fromHeader) {
    throw new RequestError(
      400,
      'the request carries two different credentials (Authorization and X-API-Key); send one API key',
    );
  }
  return fromAuthorization ?? fromHeader;
}

/**
 * The tenant of the API key a request presents, or null when keys are configured and the request
 * presents none, a wrong one or malformed credentials: the direct log routes ask this before they take a
 * request, and leave the ones it refuses to Fastify, whose authenticate says why.
 */
export function tenantPresented(
  keys: ApiKeyRegistry,
  request: { headers: IncomingHttpHeaders },
): string | null {
  if (keys.isOpen) return DEFAULT_TENANT;
  try {
    return keys.tenantOf(presentedKey(request));
  } catch {
    return null;
  }
}

/**
 * The tenant of the API key a request presents, left on the request for @Tenant(); a 401 (with a
 * WWW-Authenticate challenge on the reply) when keys are configured and the request has none or a
 * wrong one. In open mode every request is the default tenant: whatever credentials a shipper was
 * configured with are not ours to judge. ApiKeyGuard and the plain Fastify log routes both call this.
 */
export function authenticate(
  keys: ApiKeyRegistry,
  request: FastifyRequest & RequestWithTenant,
  reply: FastifyReply,
): string {
  if (keys.isOpen) {
    request[TENANT_OF_REQUEST] = DEFAULT_TENANT;
    return DEFAULT_TENANT;
  }
  const challenge = () => reply.header('WWW-Authenticate', 'Bearer realm="logpipe"');
  let presented: string | undefined;
  try {
    presented = presentedKey(request);
  } catch (error) {
    if (error instanceof RequestError && error.statusCode === 401) challenge();
    throw error;
  }
  const tenant = keys.tenantOf(presented);
  if (tenant === null) {
    challenge();
    throw new RequestError(
      401,
      presented === undefined
        ? 'an API key is required: send Authorization: Bearer <key> (or X-API-Key: <key>, or Basic auth with the key as the password)'
        : 'the API key is not valid',
    );
  }
  request[TENANT_OF_REQUEST] = tenant;
  return tenant;
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
    authenticate(this.keys, http.getRequest(), http.getResponse());
    return true;
  }
}
