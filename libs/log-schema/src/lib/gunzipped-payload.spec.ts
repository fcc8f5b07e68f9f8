import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Gunzip, gunzipSync, gzipSync } from 'node:zlib';
import { GUNZIP_ONE_CALL_MAX_BYTES, GunzippedPayload } from './gunzipped-payload';

// node:zlib itself (the object the payload calls gunzipSync on), to count its one-call decodes.
const zlib: typeof import('node:zlib') = jest.requireActual('node:zlib');

/** Whether `payload` still refers to a zlib stream among its own fields. */
const holdsGunzip = (payload: object) => Object.values(payload).some((value) => value instanceof Gunzip);

const NO_LIMIT = 10 * 1024 * 1024;

/** What the payload gave: the decoded chunks as they came, then its end or its error. */
interface Decoded {
  chunks: Buffer[];
  error?: Error & { code?: string };
}

function read(payload: GunzippedPayload): Promise<Decoded> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    payload.on('data', (chunk: Buffer) => chunks.push(chunk));
    payload.on('end', () => resolve({ chunks }));
    payload.on('error', (error) => resolve({ chunks, error }));
  });
}

/** Sends `bytes` in socket-sized pieces, as a request's body arrives. */
function send(source: PassThrough, bytes: Buffer): void {
  for (let at = 0; at < bytes.length; at += 16 * 1024) source.write(bytes.subarray(at, at + 16 * 1024));
  source.end();
}

/**
 * `encoded` sent through a new payload read from the start: the payload, what it gave, and how many
 * times it decoded in one call (zlib's gunzipSync, whether it returned or gave up).
 */
function decodedFrom(
  encoded: Buffer,
  maxDecodedBytes = NO_LIMIT,
): { payload: GunzippedPayload; decoded: Promise<Decoded>; oneCalls: () => number } {
  const oneCall = jest.spyOn(zlib, 'gunzipSync');
  const source = new PassThrough();
  const payload = new GunzippedPayload(source, maxDecodedBytes);
  const decoded = read(payload);
  send(source, encoded);
  return { payload, decoded, oneCalls: () => oneCall.mock.calls.length };
}

/** `encoded` with its gzip trailer's ISIZE (the decoded size) replaced by `size`. */
function withClaimedSize(encoded: Buffer, size: number): Buffer {
  const copy = Buffer.from(encoded);
  copy.writeUInt32LE(size, copy.length - 4);
  return copy;
}

/** Text that compresses as logs do (not to nothing, as one repeated line would). */
function logLines(count: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(JSON.stringify({ message: `request ${i} took ${i % 97} ms` }));
  return Buffer.from(lines.join('\n'));
}

describe('GunzippedPayload', () => {
  afterEach(() => jest.restoreAllMocks());

  it('decodes a small body in one call, into one Buffer of its size, and counts the encoded bytes it read', async () => {
    const text = logLines(5000);
    const encoded = gzipSync(text);
    const { payload, decoded, oneCalls } = decodedFrom(encoded);
    const { chunks, error } = await decoded;
    expect(error).toBeUndefined();
    expect(Buffer.concat(chunks).equals(text)).toBe(true);
    expect(oneCalls()).toBe(1);
    expect(chunks).toHaveLength(1);
    // Sized by the trailer: one byte to spare, not a buffer of zlib's default chunk or of the limit.
    expect(chunks[0].buffer.byteLength).toBe(text.length + 1);
    expect(payload.receivedEncodedLength).toBe(encoded.length);
    expect(holdsGunzip(payload)).toBe(false);
  });

  it('decodes a body of exactly maxDecodedBytes in one call', async () => {
    const text = Buffer.from('y'.repeat(40_000));
    const { decoded, oneCalls } = decodedFrom(gzipSync(text), 40_000);
    const { chunks, error } = await decoded;
    expect(error).toBeUndefined();
    expect(Buffer.concat(chunks).equals(text)).toBe(true);
    expect(oneCalls()).toBe(1);
  });

  it('decodes nothing until it is read: a body refused unread is never inflated', async () => {
    const oneCall = jest.spyOn(zlib, 'gunzipSync');
    const text = logLines(2000);
    const source = new PassThrough();
    const payload = new GunzippedPayload(source, NO_LIMIT);
    const ended = new Promise((resolve) => source.once('end', resolve));
    send(source, gzipSync(text));
    await ended;
    expect(oneCall).not.toHaveBeenCalled();
    // Read after the body's end, it decodes then.
    const { chunks } = await read(payload);
    expect(Buffer.concat(chunks).equals(text)).toBe(true);
    expect(oneCall).toHaveBeenCalledTimes(1);
  });

  it.each([
    [
      'sent larger than the one-call bound',
      () => gzipSync(randomBytes(GUNZIP_ONE_CALL_MAX_BYTES + 200 * 1024)),
    ],
    [
      'whose trailer says it decodes past the bound',
      () => gzipSync(Buffer.alloc(2 * GUNZIP_ONE_CALL_MAX_BYTES, 'x')),
    ],
  ])('streams a body %s, and lets go of its gunzip stream at the end', async (_case, body) => {
    const encoded = body();
    const text = gunzipSync(encoded);
    const { payload, decoded, oneCalls } = decodedFrom(encoded);
    const { chunks, error } = await decoded;
    expect(error).toBeUndefined();
    expect(oneCalls()).toBe(0);
    expect(Buffer.concat(chunks).equals(text)).toBe(true);
    expect(chunks.length).toBeGreaterThan(1);
    expect(payload.receivedEncodedLength).toBe(encoded.length);
    expect(holdsGunzip(payload)).toBe(false);
  });

  it('leaves a body that decodes past maxDecodedBytes to the reader: streamed, never one call past it', async () => {
    const text = Buffer.from('x'.repeat(50_000));
    const honest = decodedFrom(gzipSync(text), 40_000);
    const { chunks } = await honest.decoded;
    // All of it, for the reader's count (framed-body.ts) to refuse as the bytes past its limit arrive.
    expect(Buffer.concat(chunks).length).toBe(50_000);
    expect(honest.oneCalls()).toBe(0);
    jest.restoreAllMocks();
    // A trailer claiming less: the one call stops at the claim, and the stream finds the trailer wrong.
    const understated = decodedFrom(withClaimedSize(gzipSync(text), 10), 40_000);
    expect((await understated.decoded).error).toMatchObject({ code: 'Z_DATA_ERROR' });
    expect(understated.oneCalls()).toBe(1);
  });

  it('decodes every member of a multi-member body, whose trailer names only the last (streamed)', async () => {
    const first = logLines(2000);
    const second = Buffer.from('{"message":"tail"}');
    const { decoded, oneCalls } = decodedFrom(Buffer.concat([gzipSync(first), gzipSync(second)]));
    const { chunks, error } = await decoded;
    expect(error).toBeUndefined();
    expect(Buffer.concat(chunks).equals(Buffer.concat([first, second]))).toBe(true);
    // The one call stopped at the trailer's size (the second member's) and the body was streamed.
    expect(oneCalls()).toBe(1);
  });

  it('streams a body whose trailer understates its size, and refuses it as gzip does', async () => {
    const text = logLines(20_000);
    const { decoded, oneCalls } = decodedFrom(withClaimedSize(gzipSync(text), 1000));
    const { chunks, error } = await decoded;
    // Streamed (its pieces arrived) until zlib's length check found the trailer wrong.
    expect(oneCalls()).toBe(1);
    expect(chunks.length).toBeGreaterThan(1);
    expect(error).toMatchObject({ code: 'Z_DATA_ERROR' });
  });

  it('ends empty for a gzip body of nothing', async () => {
    const { decoded } = decodedFrom(gzipSync(Buffer.alloc(0)));
    expect(await decoded).toEqual({ chunks: [] });
  });

  it('decodes nothing when taken off the request before its end (a refused body dropped unread)', async () => {
    const oneCall = jest.spyOn(zlib, 'gunzipSync');
    const source = new PassThrough();
    const payload = new GunzippedPayload(source, NO_LIMIT);
    const decoded = read(payload);
    const encoded = gzipSync(logLines(2000));
    source.write(encoded.subarray(0, 100));
    source.removeAllListeners('data');
    source.resume();
    source.end(encoded.subarray(100));
    const { chunks, error } = await decoded;
    expect(chunks).toEqual([]);
    expect(error?.message).toMatch(/dropped before its end/);
    expect(oneCall).not.toHaveBeenCalled();
    expect(payload.receivedEncodedLength).toBe(100);
  });

  it.each([
    ['not gzip at all', () => Buffer.from('not gzip at all')],
    ['truncated', () => gzipSync(logLines(100)).subarray(0, 40)],
    [
      'truncated past the one-call bound',
      () => gzipSync(randomBytes(GUNZIP_ONE_CALL_MAX_BYTES + 1024)).subarray(0, -20),
    ],
  ])(
    "hands zlib's error on for a body %s, with its Z_ code (the error handler answers 400 by it)",
    async (_case, body) => {
      const { payload, decoded } = decodedFrom(body());
      const { error } = await decoded;
      expect(error).toMatchObject({ code: expect.stringMatching(/^Z_/) });
      expect(holdsGunzip(payload)).toBe(false);
    },
  );

  it("destroys itself with the request's error, before or after it started streaming", async () => {
    const partial = gzipSync(randomBytes(GUNZIP_ONE_CALL_MAX_BYTES + 1024)).subarray(0, -1024);
    for (const sentFirst of [Buffer.alloc(0), partial]) {
      const source = new PassThrough();
      const payload = new GunzippedPayload(source, NO_LIMIT);
      const decoded = read(payload);
      source.write(sentFirst);
      source.destroy(new Error('aborted'));
      expect((await decoded).error?.message).toBe('aborted');
      expect(holdsGunzip(payload)).toBe(false);
    }
  });
});
