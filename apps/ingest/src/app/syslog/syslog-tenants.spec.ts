import { ApiKeyRegistry } from '../auth/api-key.registry';
import { SyslogTenants } from './syslog-tenants';

const ACME_KEY = 'acme-key-0123456789abcdef';

function registry(keys: string | undefined): ApiKeyRegistry {
  const values: Record<string, string | undefined> = { API_KEYS: keys, API_KEYS_FILE: undefined };
  return new ApiKeyRegistry({ get: (name: string) => values[name] } as never);
}

describe('SyslogTenants', () => {
  const closed = new SyslogTenants(registry(`acme:${ACME_KEY}`));
  const open = new SyslogTenants(registry(undefined));

  it('takes the tenant of a right key, even on a tenant port', () => {
    expect(closed.resolve(undefined, ACME_KEY)).toEqual({ tenant: 'acme' });
    expect(closed.resolve('globex', ACME_KEY)).toEqual({ tenant: 'acme' });
  });

  it('drops a wrong key, whatever the connection says', () => {
    expect(closed.resolve(undefined, 'not-a-key-0123456789')).toEqual({ drop: 'wrong_key' });
    expect(closed.resolve('globex', 'not-a-key-0123456789')).toEqual({ drop: 'wrong_key' });
  });

  it('without a key: the tenant of the port or certificate, else dropped when keys are configured', () => {
    expect(closed.resolve('globex', undefined)).toEqual({ tenant: 'globex' });
    expect(closed.resolve(undefined, undefined)).toEqual({ drop: 'missing_key' });
  });

  it('with no keys configured: tenant default, or the port tenant', () => {
    expect(open.resolve(undefined, undefined)).toEqual({ tenant: 'default' });
    expect(open.resolve(undefined, 'anything-at-all-here')).toEqual({ tenant: 'default' });
    expect(open.resolve('globex', undefined)).toEqual({ tenant: 'globex' });
  });
});
