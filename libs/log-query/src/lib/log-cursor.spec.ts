import { decodeCursor, encodeCursor } from './log-cursor';

describe('page cursor', () => {
  it('round-trips a position and looks opaque (base64url, no JSON visible)', () => {
    const cursor = { ts: '2026-11-26T10:00:00.123456Z', id: '9223372036854775807' };
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it.each([
    ['an empty string', ''],
    ['not base64url', 'a+b/c='],
    ['base64 of something else', Buffer.from('hello').toString('base64url')],
    [
      'another version',
      Buffer.from(JSON.stringify([2, '2026-11-26T10:00:00.123456Z', '1'])).toString('base64url'),
    ],
    [
      'a timestamp without microseconds',
      Buffer.from(JSON.stringify([1, '2026-11-26T10:00:00Z', '1'])).toString('base64url'),
    ],
    [
      'an impossible date',
      Buffer.from(JSON.stringify([1, '2026-13-45T10:00:00.000000Z', '1'])).toString('base64url'),
    ],
    [
      'a row id that is not a positive bigint',
      Buffer.from(JSON.stringify([1, '2026-11-26T10:00:00.123456Z', '0'])).toString('base64url'),
    ],
    [
      'a row id past bigint',
      Buffer.from(JSON.stringify([1, '2026-11-26T10:00:00.123456Z', '9223372036854775808'])).toString(
        'base64url',
      ),
    ],
    [
      'a numeric row id',
      Buffer.from(JSON.stringify([1, '2026-11-26T10:00:00.123456Z', 5])).toString('base64url'),
    ],
    ['an overlong text', 'A'.repeat(201)],
  ])('refuses %s', (_name, text) => {
    expect(decodeCursor(text)).toBeNull();
  });
});
