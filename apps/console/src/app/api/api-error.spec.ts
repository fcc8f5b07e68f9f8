import { errorForNetwork, errorForResponse } from './api-error';

describe('errors in words', () => {
  it('tells a query timeout to narrow the time range', () => {
    const error = errorForResponse(
      503,
      'the query ran longer than 5000 ms (QUERY_TIMEOUT_MS) and was cancelled; narrow it',
      '1',
    );
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('Narrow the time range');
  });

  it('names the backlog, the key, the rate limit and being offline', () => {
    expect(errorForResponse(503, 'backlog over high water', '2').message).toContain('busy');
    expect(errorForResponse(401, 'an API key is required', null).kind).toBe('unauthorized');
    expect(errorForResponse(429, '', '3').message).toContain('wait 3 s');
    expect(errorForResponse(400, 'invalid query parameters: q: too short', null).message).toContain(
      'q: too short',
    );
    expect(errorForNetwork(false).message).toContain('offline');
  });

  it('tells a refused live tail which limit it met, not the request rate', () => {
    const tenant = errorForResponse(
      429,
      'this tenant already has 25 live tails open on this instance (TAIL_MAX_PER_TENANT=25); close one or retry later',
      '1',
    );
    expect(tenant.message).toContain('for your API key');
    expect(tenant.message).toContain('wait 1 s');
    const address = errorForResponse(
      429,
      'Too many live tails open from this client address (TAIL_MAX_PER_IP=20); close one or retry later',
      '5',
    );
    expect(address.message).toContain('from your address');
    expect(address.retryAfterSeconds).toBe(5);
    expect(errorForNetwork(true).kind).toBe('unreachable');
  });
});
