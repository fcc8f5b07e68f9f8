import { InFlightBodyBudget } from './body-budget';

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
