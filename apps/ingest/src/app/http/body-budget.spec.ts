import { bodyHeapProblem, InFlightBodyBudget } from './body-budget';

describe('InFlightBodyBudget', () => {
  it('takes bodies until the next one would pass the limit, and again once bytes are released', () => {
    const budget = new InFlightBodyBudget(1000);
    expect(budget.tryTake(600)).toBe(true);
    expect(budget.tryTake(300)).toBe(true);
    expect(budget.tryTake(200)).toBe(false);
    expect(budget.bytesInUse).toBe(900);
    budget.release(600);
    expect(budget.tryTake(200)).toBe(true);
    expect(budget.bytesInUse).toBe(500);
  });

  it('always takes a body when nothing else is in flight, even one larger than the limit', () => {
    const budget = new InFlightBodyBudget(1000);
    expect(budget.tryTake(5000)).toBe(true);
    expect(budget.tryTake(1)).toBe(false);
    budget.release(5000);
    expect(budget.bytesInUse).toBe(0);
    expect(budget.tryTake(1)).toBe(true);
  });
});

describe('bodyHeapProblem', () => {
  const MiB = 1048576;

  it('is null for the defaults under the heap cap the stack sets (192 MiB old space)', () => {
    expect(bodyHeapProblem(8 * MiB, 5 * MiB, 196 * MiB)).toBeNull();
  });

  it('names both settings and the remedy when one large body could exhaust the heap', () => {
    expect(bodyHeapProblem(8 * MiB, 100 * MiB, 196 * MiB)).toMatch(
      /heap limit \(196 MiB\) is below ~2000 MiB.*MAX_IN_FLIGHT_BODY_BYTES, MAX_BODY_BYTES.*--max-old-space-size/,
    );
  });
});
