import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Where ApiKeyGuard leaves the caller's tenant on the request. */
export const TENANT_OF_REQUEST = Symbol('logpipe:tenant');

export type RequestWithTenant = { [TENANT_OF_REQUEST]?: string };

/** The caller's tenant, as the API key guard established it; never taken from the request body. */
export const Tenant = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const tenant = context.switchToHttp().getRequest<RequestWithTenant>()[TENANT_OF_REQUEST];
  // The guard runs before every non-public handler; reaching here without a tenant is a wiring bug.
  if (tenant === undefined) throw new Error('no tenant on the request: is the route @Public()?');
  return tenant;
});
