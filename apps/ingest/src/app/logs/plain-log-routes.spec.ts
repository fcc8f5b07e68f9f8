import Fastify, { type FastifyInstance } from 'fastify';
import type { ApiKeyRegistry } from '../auth/api-key.registry';
import { HttpErrorFilter } from '../http/http-error.filter';
import { RequestError } from '../http/request-errors';
import type { LogsController } from './logs.controller';
import { serveLogRoutesWithoutNest } from './plain-log-routes';

const KEY = 'acme-0123456789abcdef0123';

function appWith(controller: Partial<LogsController>, declared = ['/api/log', '/api/logs']) {
  const fastify = Fastify();
  const keys = { isOpen: false, tenantOf: (key?: string) => (key === KEY ? 'acme' : null) };
  serveLogRoutesWithoutNest(fastify, {
    controller: controller as LogsController,
    keys: keys as unknown as ApiKeyRegistry,
    errors: new HttpErrorFilter(1, 1024),
  });
  // What Nest's adapter does at app.init(): add the controller's routes with Nest's own handlers.
  for (const url of declared) fastify.post(url, async () => ({ servedBy: 'nest' }));
  return fastify;
}

const post = (fastify: FastifyInstance, url: string, headers: Record<string, string> = {}) =>
  fastify.inject({
    method: 'POST',
    url,
    payload: { level: 'info' },
    headers: { authorization: `Bearer ${KEY}`, ...headers },
  });

describe('serveLogRoutesWithoutNest', () => {
  it("serves POST /api/log and /api/logs with the controller's logic, the key's tenant and a 202", async () => {
    const submitOne = jest.fn(async () => ({ status: 'queued', id: '1-0' }));
    const submitMany = jest.fn(async () => ({ status: 'queued', count: 1 }));
    const fastify = appWith({ submitOne, submitMany });
    const one = await post(fastify, '/api/log');
    expect(one.statusCode).toBe(202);
    expect(one.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(one.json()).toEqual({ status: 'queued', id: '1-0' });
    expect(submitOne).toHaveBeenCalledWith({ level: 'info' }, 'acme');
    expect((await post(fastify, '/api/logs')).json()).toEqual({ status: 'queued', count: 1 });
    expect(submitMany).toHaveBeenCalledWith({ level: 'info' }, 'acme');
    await fastify.close();
  });

  it('refuses a missing or wrong key with 401 and a challenge before the controller runs', async () => {
    const submitOne = jest.fn();
    const fastify = appWith({ submitOne });
    const missing = await post(fastify, '/api/log', { authorization: '' });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="logpipe"');
    expect(missing.json().message).toContain('an API key is required');
    const wrong = await post(fastify, '/api/log', { authorization: 'Bearer globex-0123456789abcdef' });
    expect(wrong.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'the API key is not valid',
    });
    expect(submitOne).not.toHaveBeenCalled();
    await fastify.close();
  });

  it("answers the controller's errors as the exception filter does, Retry-After included", async () => {
    const fastify = appWith({
      submitOne: async () => {
        throw new RequestError(429, 'over quota', undefined, 3);
      },
    });
    const refused = await post(fastify, '/api/log');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('3');
    expect(refused.json()).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'over quota' });
    await fastify.close();
  });

  it('fails the start when the controller no longer declares one of the routes', async () => {
    const fastify = appWith({}, ['/api/log']);
    await expect(fastify.ready()).rejects.toThrow('no longer declares POST /api/logs');
  });
});
