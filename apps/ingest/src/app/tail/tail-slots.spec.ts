import { isTailRefusal, TailSlots, type TailSlot } from './tail-slots';

function take(slots: TailSlots, tenant: string): TailSlot {
  const slot = slots.take(tenant);
  if (isTailRefusal(slot)) throw new Error(`refused: ${slot.limit}`);
  return slot;
}

describe('TailSlots', () => {
  it('refuses a tenant past TAIL_MAX_PER_TENANT while other tenants still get slots', () => {
    const slots = new TailSlots(10, 2);
    take(slots, 'noisy');
    take(slots, 'noisy');
    expect(slots.take('noisy')).toEqual({ limit: 'TAIL_MAX_PER_TENANT', max: 2 });
    expect(isTailRefusal(slots.take('quiet'))).toBe(false);
    expect(slots.used).toBe(3);
    expect(slots.usedBy('noisy')).toBe(2);
  });

  it('refuses everyone once the instance holds TAIL_MAX_CLIENTS tails', () => {
    const slots = new TailSlots(3, 2);
    take(slots, 'a');
    take(slots, 'a');
    take(slots, 'b');
    expect(slots.take('c')).toEqual({ limit: 'TAIL_MAX_CLIENTS', max: 3 });
    // A tenant at its own limit hears about its own limit, the one it can do something about.
    expect(slots.take('a')).toEqual({ limit: 'TAIL_MAX_PER_TENANT', max: 2 });
  });

  it('gives a slot back once, however often it is released', () => {
    const slots = new TailSlots(2, 2);
    const first = take(slots, 'a');
    take(slots, 'a');
    first.release();
    first.release();
    expect(slots.used).toBe(1);
    expect(slots.usedBy('a')).toBe(1);
    take(slots, 'a');
    expect(slots.take('a')).toEqual({ limit: 'TAIL_MAX_PER_TENANT', max: 2 });
  });

  it('forgets a tenant whose last tail closed', () => {
    const slots = new TailSlots(2, 1);
    take(slots, 'a').release();
    expect(slots.usedBy('a')).toBe(0);
    expect(slots.used).toBe(0);
  });
});
