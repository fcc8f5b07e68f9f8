import { PassThrough } from 'node:stream';
import { Gunzip, gzipSync } from 'node:zlib';
import { GunzippedPayload } from './gunzipped-payload';

/** Whether `payload` still refers to a zlib stream among its own fields. */
const holdsGunzip = (payload: object) => Object.values(payload).some((value) => value instanceof Gunzip);

function read(payload: GunzippedPayload): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    payload.on('data', (chunk: Buffer) => chunks.push(chunk));
    payload.on('end', () => resolve(Buffer.concat(chunks)));
    payload.on('error', reject);
  });
}

describe('GunzippedPayload', () => {
  it('decodes the body, counts the encoded bytes it read, and lets go of its gunzip stream at the end', async () => {
    const text = Buffer.from('{"message":"hello"}\n'.repeat(20000));
    const encoded = gzipSync(text);
    const source = new PassThrough();
    const payload = new GunzippedPayload(source);
    expect(holdsGunzip(payload)).toBe(true);
    const decoded = read(payload);
    source.end(encoded);
    expect(await decoded).toEqual(text);
    expect(payload.receivedEncodedLength).toBe(encoded.length);
    expect(holdsGunzip(payload)).toBe(false);
  });

  it("hands zlib's error on, with its Z_ code (the error handler answers 400 by it)", async () => {
    const source = new PassThrough();
    const payload = new GunzippedPayload(source);
    const decoded = read(payload);
    source.end(Buffer.from('not gzip at all'));
    await expect(decoded).rejects.toMatchObject({ code: expect.stringMatching(/^Z_/) });
    expect(holdsGunzip(payload)).toBe(false);
  });

  it("destroys itself with the request's error", async () => {
    const source = new PassThrough();
    const payload = new GunzippedPayload(source);
    const decoded = read(payload);
    source.destroy(new Error('aborted'));
    await expect(decoded).rejects.toThrow('aborted');
  });
});
