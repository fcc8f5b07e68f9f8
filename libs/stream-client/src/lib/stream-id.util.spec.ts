import fc from 'fast-check';
import { compareStreamIds, minStreamId, successorStreamId } from './stream-id.util';

const streamId = fc
  .tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
  .map(([ms, seq]) => `${ms}-${seq}`);

describe('compareStreamIds', () => {
  it('orders numerically by time, then by sequence (not as strings)', () => {
    expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareStreamIds('5-10', '5-9')).toBeGreaterThan(0);
    expect(compareStreamIds('5-9', '5-9')).toBe(0);
  });

  it('keeps precision beyond 2^53', () => {
    expect(compareStreamIds('1-9007199254740993', '1-9007199254740992')).toBeGreaterThan(0);
  });

  it('rejects incomplete ids', () => {
    expect(() => compareStreamIds('5', '5-0')).toThrow(/stream id/);
  });
});

describe('successorStreamId', () => {
  it('is the next sequence number of the same millisecond', () => {
    expect(successorStreamId('1700000000000-4')).toBe('1700000000000-5');
  });

  it('rolls over to the next millisecond when the sequence is exhausted', () => {
    expect(successorStreamId('7-18446744073709551615')).toBe('8-0');
  });

  it('is greater than its input and nothing lies strictly between them', () => {
    fc.assert(
      fc.property(streamId, streamId, (id, other) => {
        const next = successorStreamId(id);
        expect(compareStreamIds(next, id)).toBeGreaterThan(0);
        const between = compareStreamIds(other, id) > 0 && compareStreamIds(other, next) < 0;
        expect(between).toBe(false);
      }),
    );
  });
});

describe('minStreamId', () => {
  it('picks the smallest id by stream order and is undefined for none', () => {
    expect(minStreamId(['10-0', '9-5', '9-12'])).toBe('9-5');
    expect(minStreamId([])).toBeUndefined();
  });
});
