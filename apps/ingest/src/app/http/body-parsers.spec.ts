import {
  BodyFramePool,
  BodyFrameWriter,
  encodeSubmittedChunks,
  type SubmittedEntries,
} from '@logpipe/log-schema';
import Fastify, { type FastifyInstance } from 'fastify';
import { gzipSync } from 'node:zlib';
import { InFlightBodyBudget } from './body-budget';
import {
  NdjsonLines,
  parseJsonBody,
  parseNdjsonBody,
  registerBodyParsers,
  submittedEntriesOf,
} from './body-parsers';
import { RequestError } from './request-errors';

/** Over three of the 32 KB pieces a large array is parsed in, with what the cutting must see past. */
function largeArrayText(): string {
  const entries = Array.from({ length: 700 }, (_, i) => ({
    timestamp: '2026-12-02T05:00:00.000Z',
    level: 'info',
    service: 'api',
    message: `entry ${i}: a,b],[{"c" \\ € ${'x'.repeat(i % 50)}`,
    attributes: { i, list: [1, [2, 3]] },
  }));
  return JSON.stringify(entries, null, 1);
}

function thrownBy(action: () => unknown): RequestError {
  try {
    action();
  } catch (error) {
    return error as RequestError;
  }
  throw new Error('nothing was thrown');
}

describe('parseJsonBody', () => {
  it('parses a large array as JSON.parse would and keeps its bytes to be queued as sent', () => {
    const text = largeArrayText();
    const body = Buffer.from(text, 'utf8');
    expect(body.length).toBeGreaterThan(3 * 32 * 1024);
    const parsed = parseJsonBody(body);
    expect(parsed).toEqual(JSON.parse(text));
    expect(submittedEntriesOf(parsed)).toEqual({ jsonArray: body, bodyBytes: body.length });
  });

  it('refuses a large array that is not valid JSON with the message JSON.parse gives for the whole body', () => {
    const text = `${largeArrayText().slice(0, -2)},}]`;
    const whole = thrownBy(() => JSON.parse(text));
    const refused = thrownBy(() => parseJsonBody(Buffer.from(text, 'utf8')));
    expect(refused).toBeInstanceOf(RequestError);
    expect(refused.message).toBe(`body is not valid JSON: ${whole.message}`);
  });

  it('refuses prototype-pollution keys in a large array', () => {
    const text = largeArrayText().replace('"attributes":', '"__proto__":');
    expect(thrownBy(() => parseJsonBody(Buffer.from(text, 'utf8'))).message).toMatch(
      /^body is not valid JSON/,
    );
  });

  it('refuses invalid UTF-8 and an empty body', () => {
    expect(thrownBy(() => parseJsonBody(Buffer.from([0x5b, 0xff, 0x5d]))).message).toBe(
      'body is not valid UTF-8',
    );
    expect(thrownBy(() => parseJsonBody(Buffer.from(' \n'))).message).toMatch(/^body is empty/);
  });
});

describe('parseNdjsonBody', () => {
  it('reads each line on its own, naming a bad line by its number', () => {
    const lines = parseNdjsonBody(Buffer.from('{"a":"€"}\r\n\n  {"b":2}  \n'));
    expect(lines.values).toEqual([{ a: '€' }, { b: 2 }]);
    expect(lines.texts).toEqual(['{"a":"€"}', '{"b":2}']);
    const refused = thrownBy(() => parseNdjsonBody(Buffer.from('{"a":1}\n\n{broken\n')));
    expect(refused.details).toEqual({
      errors: [expect.objectContaining({ index: 1, line: 3, field: '(root)' })],
    });
  });

  it('says where lines as sent are in the body, and only when they are', () => {
    const frame = new BodyFramePool(1024).frame(64);
    const body = Buffer.from('{"a":"€"}\n{"b":2}\n \n');
    const asSent = parseNdjsonBody(body, frame);
    expect(asSent.lines).toEqual({ body, ends: [11, 19, 21, 22] });
    expect(asSent.frame).toBe(frame);
    for (const text of [
      '{"a":1}\r\n{"b":2}',
      ' {"a":1}\n{"b":2}',
      '{"a":1}\n\n{"b":2}',
      '\n{"a":1}\n{"b":2}',
    ]) {
      const notAsSent = parseNdjsonBody(Buffer.from(text), frame);
      expect(notAsSent.values).toEqual([{ a: 1 }, { b: 2 }]);
      expect(notAsSent.lines).toBeUndefined();
      expect(notAsSent.frame).toBeUndefined();
    }
  });

  it('gives encodeSubmittedChunks lines as sent that make the values their texts make, byte for byte', () => {
    const header = { receivedAtMs: 1_764_151_200_500, tenant: 'acme' };
    const entry = (message: string) => JSON.stringify({ level: 'info', service: 'checkout', message });
    for (const text of [
      `${entry('a €')}\n${entry('𝄞 b')}\n`,
      `${entry('no newline at the end')}\n${entry('c')}`,
      `${entry('blank lines after')}\n${entry('d')}\n \n\t\n`,
      Array.from({ length: 30 }, (_, i) => entry(`line ${i} ü`)).join('\n'),
    ]) {
      for (const maxEntries of [1000, 7]) {
        const limits = { maxEntries, maxBytes: 1024 * 1024 };
        const writer = new BodyFrameWriter(Buffer.byteLength(text));
        writer.write(Buffer.from(text));
        const { body, frame } = writer.finish();
        const parsed = parseNdjsonBody(body, frame);
        expect(parsed.lines).toBeDefined();
        // The texts' values first: the lines' may be written over the body's bytes.
        const byTexts = encodeSubmittedChunks(
          { jsonTexts: parsed.texts, bodyBytes: parsed.bodyBytes },
          header,
          limits,
        );
        const submitted = submittedEntriesOf(parsed);
        expect(submitted).toBeDefined();
        expect(encodeSubmittedChunks(submitted as SubmittedEntries, header, limits)).toEqual(byTexts);
      }
    }
  });
});

describe('registerBodyParsers: NDJSON bodies', () => {
  const pool = new BodyFramePool(8 * 1024 * 1024);
  const budget = new InFlightBodyBudget(8 * 1024 * 1024);
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify();
    registerBodyParsers(app, { maxBodyBytes: 1024 * 1024, budget, retryAfterSeconds: 1, framePool: pool });
    app.post('/lines', async (request) => {
      const lines = request.body as NdjsonLines;
      return {
        isLines: lines instanceof NdjsonLines,
        count: lines.values.length,
        last: lines.values.at(-1),
        asSent: lines.lines !== undefined,
        framed: lines.frame !== undefined,
      };
    });
    app.post('/json', async (request) => ({ isArray: Array.isArray(request.body) }));
    app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) =>
      reply.code(error.statusCode ?? 500).send({ message: error.message }),
    );
    await app.ready();
  });
  afterAll(() => app.close());
  afterEach(() => jest.restoreAllMocks());

  // 4,000 lines of ~33 bytes: a body over the size from which frames are pooled (4 KiB).
  const ndjson = Array.from({ length: 4000 }, (_, i) => JSON.stringify({ message: `line ${i}`, n: i })).join(
    '\n',
  );

  it('reads a gzip NDJSON body into a pooled frame, kept with lines as sent for queuing from it', async () => {
    const put = jest.spyOn(pool, 'put');
    const response = await app.inject({
      method: 'POST',
      url: '/lines',
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      payload: gzipSync(`${ndjson}\n`),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      isLines: true,
      count: 4000,
      last: { message: 'line 3999', n: 3999 },
    });
    // LogIngestService gives it back once Redis has the value written around the lines in it.
    expect(response.json()).toMatchObject({ asSent: true, framed: true });
    expect(put).not.toHaveBeenCalled();
    expect(budget.bytesInUse).toBe(0);
  });

  it('gives the frame back once parsed when the lines are not as sent (trimmed, blank ones between)', async () => {
    for (const payload of [ndjson.replaceAll('\n', '\r\n'), ndjson.replace('\n', '\n\n')]) {
      const put = jest.spyOn(pool, 'put');
      const response = await app.inject({
        method: 'POST',
        url: '/lines',
        headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
        payload: gzipSync(payload),
      });
      expect(response.json()).toMatchObject({ count: 4000, asSent: false, framed: false });
      expect(put).toHaveBeenCalledTimes(1);
      expect(put.mock.calls[0][0].length).toBeGreaterThan(Buffer.byteLength(payload));
      put.mockRestore();
    }
    expect(budget.bytesInUse).toBe(0);
  });

  it('gives the frame back when a line is refused', async () => {
    const put = jest.spyOn(pool, 'put');
    const response = await app.inject({
      method: 'POST',
      url: '/lines',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: `${ndjson}\n{broken`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(/line 4001 is not valid JSON/);
    expect(put).toHaveBeenCalledTimes(1);
  });

  it('gives the frame of a JSON body back once parsed unless it is an array, whose bytes are queued from it', async () => {
    const object = JSON.stringify({ message: 'x'.repeat(8 * 1024) });
    for (const [payload, isArray, released] of [
      [object, false, 1],
      [`[${object}]`, true, 0],
      [`${object}}`, undefined, 1],
    ] as const) {
      const put = jest.spyOn(pool, 'put');
      const response = await app.inject({
        method: 'POST',
        url: '/json',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(isArray === undefined ? 400 : 200);
      if (isArray !== undefined) expect(response.json()).toEqual({ isArray });
      expect(put).toHaveBeenCalledTimes(released);
      put.mockRestore();
    }
  });

  it('refuses a body over the limit with 413 as Fastify does, before parsing it', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/lines',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: `${ndjson}\n`.repeat(20),
    });
    expect(response.statusCode).toBe(413);
  });
});
