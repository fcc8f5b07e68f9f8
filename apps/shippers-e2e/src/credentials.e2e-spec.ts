import { ShipperStack } from './support/shipper-stack';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/**
 * The credentials shippers are configured with, through nginx to both ingest instances: Bearer and
 * X-API-Key as before, HTTP Basic with the key as the password (Loki and Elasticsearch clients),
 * Elasticsearch's ApiKey header; the tenant always comes from the key; two different keys are refused.
 */
describe('credentials as log shippers send them', () => {
  const stack = new ShipperStack();
  beforeAll(async () => {
    await stack.start();
  });
  afterAll(async () => {
    await stack.stop('credentials');
  });

  const post = (authorization: Record<string, string>, message: string) =>
    fetch(`${stack.url}/api/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authorization },
      body: JSON.stringify([{ level: 'info', service: 'credentials', message }]),
    });

  it('stores an entry under the tenant of each form of the key', async () => {
    const forms: [string, Record<string, string>][] = [
      ['bearer', { authorization: `Bearer ${stack.keys.acme}` }],
      ['x-api-key', { 'x-api-key': stack.keys.acme }],
      ['basic', { authorization: `Basic ${base64(`promtail:${stack.keys.acme}`)}` }],
      ['apikey', { authorization: `ApiKey ${base64(`filebeat:${stack.keys.acme}`)}` }],
      ['basic-globex', { authorization: `Basic ${base64(`loki:${stack.keys.globex}`)}` }],
    ];
    for (const [message, headers] of forms) {
      const response = await post(headers, message);
      expect({ message, status: response.status }).toEqual({ message, status: 202 });
    }
    const acme = await stack.waitForRows('acme', 4);
    expect(acme.map((row) => row.message).sort()).toEqual(['apikey', 'basic', 'bearer', 'x-api-key']);
    const globex = await stack.waitForRows('globex', 1);
    expect(globex.map((row) => row.message)).toEqual(['basic-globex']);
  });

  it('refuses a wrong key, a Basic header without a password and two different keys, storing nothing', async () => {
    const wrong = await post({ authorization: `Basic ${base64('user:not-a-key-0123456789')}` }, 'wrong');
    expect(wrong.status).toBe(401);
    const noPassword = await post({ authorization: `Basic ${base64(stack.keys.acme)}` }, 'no-password');
    expect(noPassword.status).toBe(401);
    expect(((await noPassword.json()) as { message: string }).message).toContain('password');
    const conflict = await post(
      { authorization: `Bearer ${stack.keys.acme}`, 'x-api-key': stack.keys.globex },
      'conflict',
    );
    expect(conflict.status).toBe(400);
    expect(((await conflict.json()) as { message: string }).message).toContain('two different credentials');
    await stack.drained();
    expect(await stack.rows('acme', `message IN ('wrong', 'no-password', 'conflict')`)).toEqual([]);
    expect(await stack.rows('globex', `message = 'conflict'`)).toEqual([]);
  });
});
