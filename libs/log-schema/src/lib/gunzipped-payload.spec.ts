import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Gunzip, gzipSync } from 'node:zlib';
import { GUNZIP_ONE_CALL_MAX_BYTES, GunzippedPayload } from './gunzipped-payload';

/** Whether `payload` still refers to a zlib stream among its own fields. */
const holdsGunzip = (payload: object) => Object.values(payload).some((value) => value instanceof Gunzip);

class TooLarge extends Error {}

function payloadOver(source: PassThrough, maxDecodedBytes = 10 * 1024 * 1024): GunzippedPayload {
  return new GunzippedPayload(source, { maxDecodedBytes, tooLarge: () => new TooLarge('too large') });
}

/** The decoded chunks as they came. */
function read(payload: GunzippedPayload): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    payload.on('data', (chunk: Buffer) => chunks.push(chunk));
    payload.on('end', () => resolve(chunks));
    payload.on('error', reject);
  });
}

/** `encoded` sent through a new payload: the payload, and the decoded chunks as they came. */
function decodedFrom(
  encoded: Buffer,
  maxDecodedBytes?: number,
): { payload: GunzippedPayload; decoded: Promise<Buffer[]> } {
  const source = new PassThrough();
  const payload = payloadOver(source, maxDecodedBytes);
  const decoded = read(payload);
  send(source, encoded);
  return { payload, decoded };
}

/** Sends `bytes` in socket-sized pieces, as a request's body arrives. */
function send(source: PassThrough, bytes: Buffer): void {
  for (let at = 0; at < bytes.length; at += 16 * 1024) source.write(bytes.subarray(at, at + 16 * 1024));
  source.end();
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
  it('decodes a small body in one call, into one Buffer, and counts the encoded bytes it read', async () => {
    const text = logLines(5000);
    const encoded = gzipSync(text);
    const { payload, decoded } = decodedFrom(encoded);
    const chunks = await decoded;
    expect(Buffer.concat(chunks).equals(text)).toBe(true);
    expect(chunks).toHaveLength(1);
    // Sized by the trailer: one byte to spare, not a buffer of zlib's default chunk or of the limit.
    expect(chunks[0].buffer.byteLength).toBe(text.length + 1);
    expect(payload.receivedEncodedLength).toBe(encoded.length);
    expect(holdsGunzip(payload)).toBe(false);
  });

  it('streams a body sent larger than the one-call bound, and lets go of its gunzip stream at the end', async () => {
    const text = randomBytes(GUNZIP_ONE_CALL_MAX_BYTES + 200 * 1024);
    const encoded = gzipSync(text);
    expect(encoded.length).toBeGreaterThan(GUNZIP_ONE_CALL_MAX_BYTES);
    const { payload, decoded } = decodedFrom(encoded);
    const chunks = await decoded;
    expect(Buffer.concat(chunks).equals(text)).toBe(true);
    expect(chunks.length).toBeGreaterThan(1);
    expect(payload.receivedEncodedLength).toBe(encoded.length);
    expect(holdsGunzip(payload)).toBe(false);
  });

  it('streams a small body whose trailer says it decodes past the bound', async () => {
    const text = Buffer.from('{"message":"hello"}\n'.repeat(100_000));
    expect(text.length).toBeGreaterThan(GUNZIP_ONE_CALL_MAX_BYTES);
    const { decoded } = decodedFrom(gzipSync(text));
    const chunks = await decoded;
    expect(Buffer.concat(chunks).equals(text)).toBe(true);
    expect(chunks.length).toBeGreaterThan(1);
  });

  it('streams a body whose trailer understates its size past the bound, and refuses it as gzip does', async () => {
    // The one call stops at the bound; the stream then finds the trailer wrong (zlib's length check).
    const text = Buffer.from('{"message":"hello"}\n'.repeat(100_000));
    const { decoded } = decodedFrom(withClaimedSize(gzipSync(text), 1000));
    await expect(decoded).rejects.toMatchObject({ code: 'Z_DATA_ERROR' });
  });

  it('decodes every member of a multi-member body, whose trailer names only the last', async () => {
    const first = logLines(2000);
    const second = Buffer.from('{"message":"tail"}');
    const { decoded } = decodedFrom(Buffer.concat([gzipSync(first), gzipSync(second)]));
    expect(Buffer.concat(await decoded).equals(Buffer.concat([first, second]))).toBe(true);
  });

  it("refuses with the caller's error a body decoded in one call past maxDecodedBytes, trailer or not", async () => {
    const text = Buffer.from('x'.repeat(50_000));
    for (const encoded of [gzipSync(text), withClaimedSize(gzipSync(text), 10)]) {
      const { decoded } = decodedFrom(encoded, 40_000);
      await expect(decoded).rejects.toBeInstanceOf(TooLarge);
    }
  });

  it('decodes a body of exactly maxDecodedBytes', async () => {
    const text = Buffer.from('y'.repeat(40_000));
    const { decoded } = decodedFrom(gzipSync(text), 40_000);
    expect(Buffer.concat(await decoded).equals(text)).toBe(true);
  });

  it('ends empty for a gzip body of nothing', async () => {
    const { decoded } = decodedFrom(gzipSync(Buffer.alloc(0)));
    expect(await decoded).toEqual([]);
  });

  it('decodes nothing when taken off the request before its end (a refused body dropped unread)', async () => {
    const source = new PassThrough();
    const payload = payloadOver(source);
    const seen: string[] = [];
    payload.on('data', () => seen.push('data'));
    payload.on('error', () => seen.push('error'));
    const closed = new Promise((resolve) => payload.once('close', resolve));
    const encoded = gzipSync(logLines(2000));
    source.write(encoded.subarray(0, 100));
    source.removeAllListeners('data');
    source.resume();
    source.end(encoded.subarray(100));
    await closed;
    expect(seen).toEqual([]);
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
      await expect(decoded).rejects.toMatchObject({ code: expect.stringMatching(/^Z_/) });
      expect(holdsGunzip(payload)).toBe(false);
    },
  );

  it("destroys itself with the request's error, before or after it started streaming", async () => {
    for (const sentFirst of [
      Buffer.alloc(0),
      gzipSync(randomBytes(GUNZIP_ONE_CALL_MAX_BYTES + 1024)).subarray(0, -1024),
    ]) {
      const source = new PassThrough();
      const payload = payloadOver(source);
      const decoded = read(payload);
      source.write(sentFirst);
      source.destroy(new Error('aborted'));
      await expect(decoded).rejects.toThrow('aborted');
      expect(holdsGunzip(payload)).toBe(false);
    }
  });
});
