import { DEFAULT_TENANT } from '@logpipe/log-schema';
import { Injectable } from '@nestjs/common';
import { ApiKeyRegistry } from '../auth/api-key.registry';

export type SyslogTenantDecision =
  | { readonly tenant: string }
  | { readonly drop: 'wrong_key' | 'missing_key' };

/**
 * Whose message is it. A key in the message's key element wins (and must be right); else the tenant
 * of the listener port or of the TLS client certificate; else, with no API keys configured, "default"
 * as on HTTP. With keys configured, a message that proves nothing is dropped, as a request without a
 * key gets 401: syslog has no answer to send, so the drop is counted and logged instead.
 */
@Injectable()
export class SyslogTenants {
  constructor(private readonly keys: ApiKeyRegistry) {}

  resolve(connectionTenant: string | undefined, apiKey: string | undefined): SyslogTenantDecision {
    if (apiKey !== undefined && !this.keys.isOpen) {
      const tenant = this.keys.tenantOf(apiKey);
      return tenant === null ? { drop: 'wrong_key' } : { tenant };
    }
    if (connectionTenant !== undefined) return { tenant: connectionTenant };
    return this.keys.isOpen ? { tenant: DEFAULT_TENANT } : { drop: 'missing_key' };
  }
}
