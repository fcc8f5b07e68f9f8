import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestError } from '../http/request-errors';
import type { IngestConfig } from '../ingest.config';
import { AdminKeys } from './admin-keys';

/**
 * The admin key, as `Authorization: Bearer <key>` or `X-Admin-Key: <key>`. Parsed here rather than with
 * the tenant guard's credential parser: an admin key is a different credential, and the tenant formats
 * (Basic, ApiKey) have no use on these routes.
 */
function presentedAdminKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-admin-key'];
  if (typeof header === 'string') return header.trim();
  const authorization = request.headers['authorization'];
  const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return match ? match[1] : undefined;
}

/** Lets a request through to /api/admin only with a key from ADMIN_API_KEYS. The key is never logged. */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  private readonly keys: AdminKeys;

  constructor(config: ConfigService<IngestConfig, true>) {
    this.keys = new AdminKeys(config.get('ADMIN_API_KEYS', { infer: true }));
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.keys.enabled) {
      throw new RequestError(403, 'the admin API is switched off: set ADMIN_API_KEYS to use it');
    }
    const http = context.switchToHttp();
    const presented = presentedAdminKey(http.getRequest<FastifyRequest>());
    if (!this.keys.matches(presented)) {
      http.getResponse<FastifyReply>().header('WWW-Authenticate', 'Bearer realm="logpipe-admin"');
      throw new RequestError(
        401,
        presented === undefined
          ? 'an admin key is required: send Authorization: Bearer <admin key> (or X-Admin-Key)'
          : 'the admin key is not valid',
      );
    }
    return true;
  }
}
