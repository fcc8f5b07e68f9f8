/** Which limit refused a tail, with its setting's name and value (the error message quotes both). */
export interface TailRefusal {
  limit: 'TAIL_MAX_PER_TENANT' | 'TAIL_MAX_CLIENTS';
  max: number;
}

/** A taken slot. `release` may be called more than once (a reader can close on several paths). */
export interface TailSlot {
  release(): void;
}

/**
 * Counts this instance's open tails, in total and per tenant, so one tenant cannot take every slot.
 * A slot is taken synchronously, before the tail's first await, so concurrent requests cannot all
 * pass the check on the same count.
 *
 * Per instance on purpose: a count shared through Redis would need a lease per reader (a crashed
 * instance never gives its slots back) for little gain, since nginx spreads tails over the instances
 * by open connections. Across N instances a tenant holds at most N × TAIL_MAX_PER_TENANT tails.
 */
export class TailSlots {
  private total = 0;
  private readonly perTenant = new Map<string, number>();

  constructor(
    private readonly maxClients: number,
    private readonly maxPerTenant: number,
  ) {}

  get used(): number {
    return this.total;
  }

  usedBy(tenant: string): number {
    return this.perTenant.get(tenant) ?? 0;
  }

  /**
   * A slot for `tenant`, or the limit in the way. The tenant's own limit is checked first: a tenant
   * at its limit has to close a tail whatever the instance's state, and the answer (429) says so.
   */
  take(tenant: string): TailSlot | TailRefusal {
    const mine = this.usedBy(tenant);
    if (mine >= this.maxPerTenant) return { limit: 'TAIL_MAX_PER_TENANT', max: this.maxPerTenant };
    if (this.total >= this.maxClients) return { limit: 'TAIL_MAX_CLIENTS', max: this.maxClients };
    this.total += 1;
    this.perTenant.set(tenant, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const left = this.usedBy(tenant) - 1;
        if (left > 0) this.perTenant.set(tenant, left);
        else this.perTenant.delete(tenant);
      },
    };
  }
}

export function isTailRefusal(result: TailSlot | TailRefusal): result is TailRefusal {
  return 'limit' in result;
}
