import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Agent, request, type ClientRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { queuedEntries } from '../../testing/queued-entries';
import { startIngestApp } from '../../testing/start-ingest-app';
import { REFUSED_BODY_LINGER_MS } from './lingering-close';

const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
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
        headers: { authorization: `Bearer ${KEY}`, 'content-length': String(body.length), ...headers },
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
  const redis = new Redis(REDIS_URL);
  let app: NestFastifyApplication;
  let baseUrl: string;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  /** One socket for all: the connection kept after a refusal is the one the next request gets. */
  const postLogs = (headers: Record<string, string>, body: Buffer) =>
    post(baseUrl, '/api/logs', headers, body, agent);

  beforeAll(async () => {
    app = await startIngestApp({
      REDIS_URL,
      STREAM_KEY: streamKey,
      API_KEYS: `acme:${KEY}`,
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
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
    const entry = Buffer.from(JSON.stringify({ level: 'info', service: 'linger', message: 'after a 413' }));
    const accepted = await post(baseUrl, '/api/log', { 'content-type': 'application/json' }, entry, agent);
    expect(accepted.status).toBe(202);
    expect(accepted.reusedSocket).toBe(true);
    const queued = await queuedEntries(redis, streamKey);
    expect(queued.map((e) => e.message)).toEqual(['after a 413']);
  });

  it('answers 413 to a gzip body that passes the limit once decompressed while it is still arriving', async () => {
    // Random hex barely compresses: ~12 MiB on the wire, past 64 KiB decompressed after the first chunks.
    const body = gzipSync(randomBytes(12 * 1024 * 1024).toString('hex'));
    const answer = await postLogs(
      { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      body,
    );
    expect(answer.status).toBe(413);
    expect(answer.json['message']).toContain('counted after decompression');
    expect(answer.writeError).toBeUndefined();
  });

  it('answers 415 to an unsupported type with a large body', async () => {
    const answer = await postLogs({ 'content-type': 'text/plain' }, Buffer.alloc(OVERSIZED, 'a'));
    expect(answer.status).toBe(415);
    expect(answer.writeError).toBeUndefined();
  });

  it('closes the connection of a refused body that stops arriving, once the linger is over', async () => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /api/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `Authorization: Bearer ${KEY}\r\nContent-Length: ${OVERSIZED}\r\n\r\n` +
        'a'.repeat(1024),
    );
    const sentAt = Date.now();
    // The client sends nothing more: the answer comes at once, the close after the linger.
    const closedAt = await closed;
    const text = Buffer.concat(received).toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(closedAt - sentAt).toBeGreaterThanOrEqual(REFUSED_BODY_LINGER_MS - 500);
    expect(closedAt - sentAt).toBeLessThan(REFUSED_BODY_LINGER_MS + 5000);
  });
});
