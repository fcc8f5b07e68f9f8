import fc from 'fast-check';
import { MAX_CACHED_TEXT_BYTES, ShortTextCache } from './short-text-cache';

const utf8 = (bytes: Buffer, start: number, end: number) => bytes.toString('utf8', start, end);
const STRICT = new TextDecoder('utf-8', { fatal: true });
const strict = (bytes: Buffer, start: number, end: number) => STRICT.decode(bytes.subarray(start, end));

/** `text`'s UTF-8 bytes inside a larger buffer, as a field sits inside a request body. */
function inBody(bytes: Uint8Array): { body: Buffer; start: number; end: number } {
  const body = Buffer.concat([Buffer.from([0x0a, 0xff]), Buffer.from(bytes), Buffer.from([0x12])]);
  return { body, start: 2, end: 2 + bytes.length };
}

describe('ShortTextCache', () => {
  it('gives what its decoding gives for any bytes, repeated or not, short or long', () => {
    const cache = new ShortTextCache(utf8);
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: MAX_CACHED_TEXT_BYTES + 8 }), { minLength: 1, maxLength: 8 }),
        (fields) => {
          // Each field twice: the second read is the one the table answers.
          for (const bytes of [...fields, ...fields]) {
            const { body, start, end } = inBody(bytes);
            expect(cache.text(body, start, end)).toBe(Buffer.from(bytes).toString('utf8'));
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('never answers from the table what its decoding refuses', () => {
    const cache = new ShortTextCache(strict);
    const invalid = Uint8Array.from([0x61, 0xc3]); // "a" and half of a two-byte sequence
    for (let i = 0; i < 3; i++) {
      const { body, start, end } = inBody(invalid);
      expect(() => cache.text(body, start, end)).toThrow(/not valid for encoding utf-8/);
    }
    expect(cache.size).toBe(0);
  });

  it('keeps one table per decoding: bytes a lenient cache took stay refused by a strict one', () => {
    const lenient = new ShortTextCache(utf8);
    const strictCache = new ShortTextCache(strict);
    const { body, start, end } = inBody(Uint8Array.from([0x61, 0xc3]));
    expect(lenient.text(body, start, end)).toBe('a\uFFFD');
    expect(() => strictCache.text(body, start, end)).toThrow(/not valid for encoding utf-8/);
  });

  it('stops growing at its bound and still decodes what it no longer remembers', () => {
    const cache = new ShortTextCache(utf8, 16);
    for (let i = 0; i < 100; i++) {
      const { body, start, end } = inBody(Buffer.from(`key-${i}`));
      expect(cache.text(body, start, end)).toBe(`key-${i}`);
    }
    expect(cache.size).toBe(16);
  });

  it('does not keep the request body alive: the table holds its own copy of the bytes', () => {
    const cache = new ShortTextCache(utf8);
    const { body, start, end } = inBody(Buffer.from('service.name'));
    expect(cache.text(body, start, end)).toBe('service.name');
    body.fill(0x41);
    const again = inBody(Buffer.from('service.name'));
    expect(cache.text(again.body, again.start, again.end)).toBe('service.name');
  });
});
