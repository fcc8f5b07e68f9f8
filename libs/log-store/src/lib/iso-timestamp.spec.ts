import fc from 'fast-check';
import { isoTimestamp, lastIsoTimestamp } from './iso-timestamp';

describe('isoTimestamp', () => {
  it('writes what Date#toISOString writes for every millisecond a row can hold', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
        expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it('gets the edges of months, leap days and centuries right', () => {
    const edges = [
      '1970-01-01T00:00:00.000Z',
      '1999-12-31T23:59:59.999Z',
      '2000-02-29T12:00:00.000Z',
      '2000-03-01T00:00:00.000Z',
      '2024-02-29T23:59:59.999Z',
      '2100-02-28T23:59:59.999Z',
      '2100-03-01T00:00:00.000Z',
      '2026-01-15T10:00:00.001Z',
      '9999-12-31T23:59:59.999Z',
    ];
    for (const text of edges) expect(isoTimestamp(Date.parse(text))).toBe(text);
  });

  it('leaves times outside 1970-9999 and fractional milliseconds to Date', () => {
    for (const ms of [-1, -86_400_000, 253_402_300_800_000, 1.5]) {
      expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
    }
  });
});

describe('lastIsoTimestamp', () => {
  it('answers each time correctly, whatever came before', () => {
    const text = lastIsoTimestamp();
    for (const ms of [0, 0, 1_767_225_600_000, 1_767_225_600_000, 5, 0]) {
      expect(text(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
