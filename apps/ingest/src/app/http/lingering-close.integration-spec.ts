import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Agent, request, type ClientRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { queuedEntries } from '../../testing/queued-entries';
import { TEST_REDIS_URL } from '../../testing/ingest-on-own-stream';
import { startIngestApp } from '../../testing/start-ingest-app';
import { REFUSED_BODY_LINGER_MS } from './lingering-close';

const KEY = `acme-${randomBytes(12).toString('hex')}`;
const MAX_BODY_BYTES = 65536;
/** Far more than loopback's socket buffers hold: the client is still writing when the answer comes. */
const OVERSIZED = 24 * 1024 * 1024;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
  reusedSocket: boolean;
  /** What the connection reported while the body was still being written (EPIPE, ECONNRESET), if anything. */
  writeError?: string;
}

/** An ingest app listening on a free port, with MAX_BODY_BYTES and the test's key, queuing to `streamKey`. */
async function listeningApp(streamKey: string): Promise<{ app: NestFastifyApplication; port: number }> {
  const app = await startIngestApp({
    REDIS_URL: TEST_REDIS_URL,
    STREAM_KEY: streamKey,
    API_KEYS: `acme:${KEY}`,
    MAX_BODY_BYTES: String(MAX_BODY_BYTES),
  });
  await app.listen(0, '127.0.0.1');
  return { app, port: (app.getHttpServer().address() as AddressInfo).port };
}

/**
 * A POST that writes its whole body at once, as ordinary clients do. Resolves when the request is over
 * ('close': the answer read and the body written, or the connection gone), with any error the write
 * met after the answer (a client can read the answer and still see EPIPE or ECONNRESET when the server
 * closes on the rest of its body: reported, not thrown).
 */
function post(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  agent: Agent,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answer: Answer | undefined;
    let writeError: string | undefined;
    const req: ClientRequest = request(
      new URL(path, baseUrl),
      {
        method: 'POST',
        agent,
        // With `transfer-encoding: chunked` among `headers` the body goes in chunks, with no length.
        headers: {
          authorization: `Bearer ${KEY}`,
          ...(headers['transfer-encoding'] ? {} : { 'content-length': String(body.length) }),
          ...headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          answer = {
            status: response.statusCode ?? 0,
            headers: response.headers,
            json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
            reusedSocket: req.reusedSocket,
          };
        });
      },
    );
    req.setTimeout(20000, () => req.destroy(new Error('no answer within 20 s')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      writeError = error.code ?? error.message;
    });
    req.on('close', () => {
      if (answer === undefined) reject(new Error(`no answer: ${writeError ?? 'connection closed'}`));
      else resolve({ ...answer, writeError });
    });
    req.end(body);
  });
}

describe('a body refused before it is all read: the client still reads the refusal (lingering close)', () => {
  const streamKey = `test:ingest:linger:${randomBytes(4).toString('hex')}`;
  const redis = new Redis(TEST_REDIS_URL);
  let app: NestFastifyApplication;
  let baseUrl: string;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  /** One socket for all: the connection kept after a refusal is the one the next request gets. */
  const postLogs = (headers: Record<string, string>, body: Buffer) =>
    post(baseUrl, '/api/logs', headers, body, agent);
  /** One entry on the same agent: served on the kept socket if the refusal before it kept it. */
  const postEntry = (message: string) =>
    post(
      baseUrl,
      '/api/log',
      { 'content-type': 'application/json' },
      Buffer.from(JSON.stringify({ level: 'info', service: 'linger', message })),
      agent,
    );

  beforeAll(async () => {
    ({ app, port } = await listeningApp(streamKey));
    baseUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    agent.destroy();
    await app.close();
    await redis.del(streamKey);
    redis.disconnect();
  });

  it('answers 413 to a client writing a body far over MAX_BODY_BYTES, every time, and queues nothing', async () => {
    const body = Buffer.alloc(OVERSIZED, 'a');
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const answer = await postLogs({ 'content-type': 'application/json' }, body);
      expect(answer.status).toBe(413);
      expect(answer.json['message']).toContain('MAX_BODY_BYTES');
      expect(answer.writeError).toBeUndefined();
    }
    expect(await queuedEntries(redis, streamKey)).toHaveLength(0);
  });

  it('keeps the connection: the next request on the same socket is served', async () => {
    const refused = await postLogs({ 'content-type': 'application/json' }, Buffer.alloc(OVERSIZED, 'a'));
    expect(refused.status).toBe(413);
    expect(refused.writeError).toBeUndefined();
    expect(refused.headers['connection']).not.toBe('close');
    const accepted = await postEntry('after a 413');
    expect(accepted.status).toBe(202);
    expect(accepted.reusedSocket).toBe(true);
    const queued = await queuedEntries(redis, streamKey);
    expect(queued.map((e) => e.message)).toEqual(['after a 413']);
  });

  // Random hex barely compresses: ~12 MiB on the wire, past 64 KiB decompressed after the first chunks.
  const incompressible = () => gzipSync(randomBytes(12 * 1024 * 1024).toString('hex'));

  it.each([
    [
      'a gzip body over the limit by its Content-Length',
      { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      incompressible,
      413,
    ],
    [
      'a chunked gzip body that passes the limit once decompressed, while it is still arriving',
      {
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
        'transfer-encoding': 'chunked',
      },
      incompressible,
      413,
    ],
    [
      'a chunked JSON body that passes the limit while it is still arriving',
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      () => Buffer.alloc(OVERSIZED, 'a'),
      413,
    ],
    [
      'an unsupported content type',
      { 'content-type': 'text/plain' },
      () => Buffer.alloc(OVERSIZED, 'a'),
      415,
    ],
    [
      'an unsupported content encoding',
      { 'content-type': 'application/json', 'content-encoding': 'br' },
      () => Buffer.alloc(OVERSIZED, 'a'),
      415,
    ],
  ])(
    'answers %s (%#) with its 4xx, read whole by a client still writing',
    async (_case, headers, body, status) => {
      const answer = await postLogs(headers as Record<string, string>, body());
      expect(answer.status).toBe(status);
      expect(answer.writeError).toBeUndefined();
      // The connection was kept: the next request on the socket is served.
      const next = await postEntry('next');
      expect(next.status).toBe(202);
      expect(next.reusedSocket).toBe(true);
    },
  );

  it('closes the connection of a refused body that stops arriving, once the linger is over', async () => {
    const client = await stalledClient(port);
    const closedAt = await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(closedAt - client.sentAt).toBeGreaterThanOrEqual(REFUSED_BODY_LINGER_MS - 500);
    expect(closedAt - client.sentAt).toBeLessThan(REFUSED_BODY_LINGER_MS + 5000);
  });
});

describe('lingering close and shutdown', () => {
  it('closes a lingering connection when the server closes, rather than waiting for it', async () => {
    const { app, port } = await listeningApp(`test:ingest:linger:${randomBytes(4).toString('hex')}`);
    const client = await stalledClient(port);
    await waitFor(() => /^HTTP\/1\.1 413 /.test(client.received()));
    const closingAt = Date.now();
    await app.close();
    const closedAt = await client.closed;
    expect(closedAt - closingAt).toBeLessThan(REFUSED_BODY_LINGER_MS - 1000);
  });
});

/**
 * A raw client that sends a request for a body far over MAX_BODY_BYTES, 1 KiB of that body, and then
 * nothing: what the server answers, and when it closes the connection.
 */
async function stalledClient(port: number) {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  // A reset instead of a close would show as a missing answer, not as an unhandled error.
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(
    'POST /api/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${KEY}\r\nContent-Length: ${OVERSIZED}\r\n\r\n` +
      'a'.repeat(1024),
  );
  return { sentAt: Date.now(), closed, received: () => Buffer.concat(chunks).toString('utf8') };
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
