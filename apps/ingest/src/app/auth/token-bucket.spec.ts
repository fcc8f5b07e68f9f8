import { LocalTokenBucket, refilled, secondsUntil } from './token-bucket';

/** A bucket on a clock the test moves by hand. */
function bucketAt(rate: number, burst: number): { bucket: LocalTokenBucket; advance: (ms: number) => void } {
  let now = 1_000_000;
  return { bucket: new LocalTokenBucket(rate, burst, () => now), advance: (ms) => (now += ms) };
}

describe('token bucket arithmetic', () => {
  it('starts full, lets the burst through, then refuses until the refill covers the request', () => {
    const { bucket, advance } = bucketAt(10, 50);
    expect(bucket.take(50)).toEqual({ admitted: true, tokens: 0 });
    expect(bucket.take(20)).toEqual({ admitted: false, tokens: 0 });
    advance(1999);
    expect(bucket.take(20).admitted).toBe(false);
    advance(1);
    const admitted = bucket.take(20);
    expect(admitted.admitted).toBe(true);
    expect(admitted.tokens).toBeCloseTo(0, 9);
  });

  it('counts entries, not calls, and takes nothing from a refused take', () => {
    const { bucket, advance } = bucketAt(1, 10);
    for (let i = 0; i < 10; i++) expect(bucket.take(1).admitted).toBe(true);
    expect(bucket.take(1).admitted).toBe(false);
    advance(3000);
    expect(bucket.take(4)).toEqual({ admitted: false, tokens: 3 });
    expect(bucket.take(3)).toEqual({ admitted: true, tokens: 0 });
  });

  it('never fills beyond the burst, however long it stays idle', () => {
    const { bucket, advance } = bucketAt(100, 30);
    bucket.take(30);
    advance(3_600_000);
    expect(bucket.take(31).admitted).toBe(false);
    expect(bucket.take(30).admitted).toBe(true);
    expect(refilled(5, 60_000, 100, 30)).toBe(30);
  });

  it('does not refill when the clock goes backwards', () => {
    expect(refilled(5, -10_000, 100, 30)).toBe(5);
  });

  it('answers a Retry-After long enough for the request, and at least 1 s', () => {
    expect(secondsUntil(0, 20, 10)).toBe(2);
    expect(secondsUntil(0.5, 21, 10)).toBe(3);
    expect(secondsUntil(19.99, 20, 1000)).toBe(1);
  });
});
