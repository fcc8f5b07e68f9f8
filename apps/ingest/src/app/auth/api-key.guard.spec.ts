import type { FastifyRequest } from 'fastify';
import { RequestError } from '../http/request-errors';
import { presentedKey } from './api-key.guard';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as FastifyRequest;
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const KEY = 'acme-0123456789abcdef0123';

function refusal(headers: Record<string, string>): RequestError {
  try {
    presentedKey(request(headers));
  } catch (error) {
    return error as RequestError;
  }
  throw new Error('expected the credentials to be refused');
}

describe('presentedKey: the credentials log shippers send', () => {
  it('reads Bearer and X-API-Key as before', () => {
    expect(presentedKey(request({ authorization: `Bearer ${KEY}` }))).toBe(KEY);
    expect(presentedKey(request({ 'x-api-key': ` ${KEY} ` }))).toBe(KEY);
    expect(presentedKey(request({}))).toBeUndefined();
  });

  it('takes the password of HTTP Basic as the key, whatever the user (Loki and Elasticsearch clients)', () => {
    expect(presentedKey(request({ authorization: `Basic ${base64(`promtail:${KEY}`)}` }))).toBe(KEY);
    expect(presentedKey(request({ authorization: `basic ${base64(`:${KEY}`)}` }))).toBe(KEY);
    // A colon inside the key stays part of it: only the first colon separates the user.
    expect(presentedKey(request({ authorization: `Basic ${base64('u:a:b-0123456789abcdef')}` }))).toBe(
      'a:b-0123456789abcdef',
    );
  });

  it("takes the key part of Elasticsearch's ApiKey base64(id:key)", () => {
    expect(presentedKey(request({ authorization: `ApiKey ${base64(`filebeat:${KEY}`)}` }))).toBe(KEY);
    expect(presentedKey(request({ authorization: `ApiKey ${base64(KEY)}` }))).toBe(KEY);
  });

  it('refuses Basic without a password, an unknown scheme and a malformed header with 401', () => {
    expect(refusal({ authorization: `Basic ${base64('only-a-user')}` }).statusCode).toBe(401);
    expect(refusal({ authorization: `Basic ${base64('user:')}` }).message).toContain('password');
    expect(refusal({ authorization: 'Token abc' }).message).toContain('"Token" is not supported');
    expect(refusal({ authorization: 'Bearer' }).statusCode).toBe(401);
  });

  it('refuses two different keys on one request with 400 naming the conflict, and accepts the same key twice', () => {
    const conflict = refusal({ authorization: `Bearer ${KEY}`, 'x-api-key': 'globex-0123456789abcdef0123' });
    expect(conflict.statusCode).toBe(400);
    expect(conflict.message).toContain('two different credentials');
    expect(presentedKey(request({ authorization: `Basic ${base64(`u:${KEY}`)}`, 'x-api-key': KEY }))).toBe(
      KEY,
    );
  });
});
