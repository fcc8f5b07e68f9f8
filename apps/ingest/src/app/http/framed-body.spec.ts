import { BodyFramePool, GunzippedPayload, type FramedBody } from '@logpipe/log-schema';
import Fastify, { type FastifyInstance } from 'fastify';
import { gzipSync } from 'node:zlib';
import { readBodyIntoFrame } from './framed-body';

const LIMIT = 1024;

/**
 * A bare Fastify app whose JSON bodies are read by readBodyIntoFrame (gzip ones through GunzippedPayload,
 * as body-parsers.ts decodes them) and echoed back with where they sat in their frame,
 * beside the same route with Fastify's own `parseAs: 'buffer'` reading, to compare the two.
 */
async function appReading(): Promise<FastifyInstance> {
  const app = Fastify();
  app.addHook('preParsing', (request, _reply, payload, done) => {
    if (request.headers['content-encoding'] !== 'gzip') return done(null, payload);
    done(null, new GunzippedPayload(payload, LIMIT));
  });
  app.register(async (framed) => {
    framed.removeAllContentTypeParsers();
    framed.addContentTypeParser('application/json', (request, payload, done) =>
      readBodyIntoFrame(
        { headers: request.headers, payload, decoded: payload !== request.raw },
        LIMIT,
        new BodyFramePool(LIMIT),
        (error, read) => done(error, read),
      ),
    );
    framed.post('/framed', async (request) => {
      const { body, frame } = request.body as FramedBody;
      const { bytes } = frame;
      return {
        text: body.toString(),
        sameMemory: body.buffer === bytes.buffer,
        roomBefore: body.byteOffset - bytes.byteOffset,
        roomAfter: bytes.length - (body.byteOffset - bytes.byteOffset) - body.length,
      };
    });
  });
  app.register(async (fastifys) => {
    fastifys.removeAllContentTypeParsers();
    fastifys.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: LIMIT },
      (_request, body, done) => done(null, { body }),
    );
    fastifys.post('/fastify', async (request) => ({
      text: ((request.body as { body: Buffer }).body as Buffer).toString(),
    }));
  });
  await app.ready();
  return app;
}

describe('readBodyIntoFrame', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await appReading();
  });
  afterAll(() => app.close());

  const post = (url: string, payload: Buffer | string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } });

  it('reads the body into a frame with room before and after it', async () => {
    const text = JSON.stringify([{ message: 'a €' }, { message: 'b' }]);
    const response = await post('/framed', text);
    expect(response.statusCode).toBe(200);
    const read = response.json();
    expect(read.text).toBe(text);
    expect(read.sameMemory).toBe(true);
    // Room for the longest version 4 opening (log-schema's FRAME_ROOM_BEFORE) and the closing `]]`.
    expect(read.roomBefore).toBeGreaterThanOrEqual(90);
    expect(read.roomAfter).toBeGreaterThanOrEqual(2);
  });

  it('reads a gzip body decoded', async () => {
    const text = JSON.stringify([{ message: 'zipped' }]);
    const response = await post('/framed', gzipSync(text), { 'content-encoding': 'gzip' });
    expect(response.json().text).toBe(text);
  });

  // Each refusal as Fastify's own reading gives it: same status, same code, same message.
  it.each([
    ['over the limit by its Content-Length', () => 'x'.repeat(LIMIT + 1), {}],
    [
      'over the limit once decoded',
      () => gzipSync('x'.repeat(LIMIT * 4)),
      { 'content-encoding': 'gzip' } as Record<string, string>,
    ],

    ['shorter than its Content-Length', () => '[1,2,3]', { 'content-length': '9' }],
    ['a corrupt gzip body', () => 'not gzip', { 'content-encoding': 'gzip' }],
  ])('refuses a body %s exactly as Fastify does', async (_case, body, headers) => {
    const framed = await post('/framed', body(), headers);
    const fastifys = await post('/fastify', body(), headers);
    expect(framed.statusCode).toBeGreaterThanOrEqual(400);
    expect(framed.statusCode).toBe(fastifys.statusCode);
    expect(framed.json().code).toBe(fastifys.json().code);
    expect(framed.json().message).toBe(fastifys.json().message);
  });
});
