import fc from 'fast-check';
import { millisOfNanoHalves, millisOfNanos, NO_TIME } from './unix-time';

const TWO_TO_32 = 2n ** 32n;

describe('millisOfNanoHalves', () => {
  it('is the exact bigint quotient for any uint64, and NO_TIME for 0', () => {
    // Whole-millisecond boundaries and their neighbours, where a rounded division would go wrong first.
    const nearMillis = fc
      .bigInt({ min: 1n, max: (2n ** 64n - 1n) / 1_000_000n })
      .chain((ms) => fc.bigInt({ min: -1n, max: 1n }).map((step) => ms * 1_000_000n + step));
    const uint64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), nearMillis);
    fc.assert(
      fc.property(uint64, (nanos) => {
        const halves = millisOfNanoHalves(Number(nanos / TWO_TO_32), Number(nanos % TWO_TO_32));
        expect(halves).toBe(millisOfNanos(nanos));
        expect(halves).toBe(nanos === 0n ? NO_TIME : Number(nanos / 1_000_000n));
      }),
      { numRuns: 20_000 },
    );
  });

  it('keeps a time under one millisecond as millisecond 0, apart from the unknown time', () => {
    expect(millisOfNanoHalves(0, 999_999)).toBe(0);
    expect(millisOfNanoHalves(0, 0)).toBe(NO_TIME);
    expect(millisOfNanoHalves(0xffff_ffff, 0xffff_ffff)).toBe(18_446_744_073_709);
  });
});
