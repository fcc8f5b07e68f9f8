import { Counter, type CounterConfiguration, type LabelValues } from 'prom-client';

/** One series of a TalliedCounter, counted in a plain number until the counter is read. */
export interface CounterTally {
  inc(value?: number): void;
}

class PendingTally<T extends string> implements CounterTally {
  private pending = 0;

  constructor(private readonly labels: LabelValues<T>) {}

  inc(value = 1): void {
    this.pending += value;
  }

  /** What is counted and not yet handed over is dropped: the counter starts over. */
  discard(): void {
    this.pending = 0;
  }

  flushInto(counter: Counter<T>): void {
    if (this.pending === 0) return;
    const value = this.pending;
    this.pending = 0;
    counter.inc(this.labels, value);
  }
}

/**
 * A prom-client Counter whose hottest series are tallies: `tally(labels)` returns a series that adds to
 * a plain number, handed to the counter when the registry reads it (prom-client calls `collect` before
 * every read, so a scrape and a spec's `get()` see every count). prom-client's own `labels(...).inc()`
 * checks and hashes the label object on every call, which on the single-entry route is once or twice per
 * request (issue 14's floor). Other series are counted with `inc` as on any Counter.
 */
export class TalliedCounter<T extends string> extends Counter<T> {
  private readonly tallies: PendingTally<T>[] = [];

  constructor(configuration: Omit<CounterConfiguration<T>, 'collect'>) {
    super({
      ...configuration,
      collect(this: Counter<T>) {
        (this as TalliedCounter<T>).flushTallies();
      },
    });
  }

  tally(labels: LabelValues<T>): CounterTally {
    const tally = new PendingTally<T>(labels);
    this.tallies.push(tally);
    return tally;
  }

  /** Starts over, as prom-client's reset does: what the tallies hold but have not handed over goes too. */
  override reset(): void {
    // prom-client's constructor calls reset() too, before this class's fields exist.
    for (const tally of this.tallies ?? []) tally.discard();
    super.reset();
  }

  private flushTallies(): void {
    for (const tally of this.tallies) tally.flushInto(this);
  }
}
