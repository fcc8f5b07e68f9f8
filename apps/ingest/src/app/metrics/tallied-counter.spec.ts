import { Counter, Registry } from 'prom-client';
import { TalliedCounter } from './tallied-counter';

function counters() {
  const registry = new Registry();
  const counter = new TalliedCounter({
    name: 'logpipe_test_entries_total',
    help: 'test',
    labelNames: ['protocol'],
    registers: [registry],
  });
  return { registry, counter };
}

describe('TalliedCounter', () => {
  it('reports what its tallies counted, beside the series counted with inc, at every read', async () => {
    const { registry, counter } = counters();
    const logpipe = counter.tally({ protocol: 'logpipe' });
    logpipe.inc();
    logpipe.inc(41);
    counter.inc({ protocol: 'otlp' }, 3);
    let text = await registry.metrics();
    expect(text).toContain('logpipe_test_entries_total{protocol="logpipe"} 42');
    expect(text).toContain('logpipe_test_entries_total{protocol="otlp"} 3');
    // Counts after a read are added to what was reported, not lost or counted twice.
    logpipe.inc(8);
    text = await registry.metrics();
    expect(text).toContain('logpipe_test_entries_total{protocol="logpipe"} 50');
    expect((await counter.get()).values).toEqual(
      expect.arrayContaining([{ value: 50, labels: { protocol: 'logpipe' } }]),
    );
  });

  it('starts over on reset, the counts its tallies held but had not handed over included', async () => {
    const { registry, counter } = counters();
    const logpipe = counter.tally({ protocol: 'logpipe' });
    logpipe.inc(5);
    registry.resetMetrics();
    logpipe.inc(2);
    expect(await registry.metrics()).toContain('logpipe_test_entries_total{protocol="logpipe"} 2');
  });

  it("prints the lines prom-client's own Counter prints for the same counts", async () => {
    const { registry, counter } = counters();
    const reference = new Registry();
    const theirs = new Counter({
      name: 'logpipe_test_entries_total',
      help: 'test',
      labelNames: ['protocol'],
      registers: [reference],
    });
    const tallies = [counter.tally({ protocol: 'logpipe' }), counter.tally({ protocol: 'loki' })];
    for (let i = 0; i < 100; i++) {
      tallies[i % 2].inc(i);
      theirs.inc({ protocol: i % 2 === 0 ? 'logpipe' : 'loki' }, i);
    }
    expect(await registry.metrics()).toBe(await reference.metrics());
  });
});
