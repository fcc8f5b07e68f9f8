// The module object itself (a namespace import would be a copy the spy cannot reach).
import perfHooks from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { collectProcessMetrics, EVENT_LOOP_SAMPLE_MS } from './process-metrics';

describe('collectProcessMetrics', () => {
  afterEach(() => jest.restoreAllMocks());

  it("registers Node's process metrics, the event-loop delay among them", async () => {
    const registry = new Registry();
    collectProcessMetrics(registry);
    const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_heap_space_size_used_bytes',
        'nodejs_eventloop_lag_p99_seconds',
      ]),
    );
  });

  it('samples the event-loop delay every 100 ms, not every 10 ms (an idle wake-up each time)', () => {
    const monitor = jest.spyOn(perfHooks, 'monitorEventLoopDelay');
    collectProcessMetrics(new Registry());
    expect(EVENT_LOOP_SAMPLE_MS).toBe(100);
    expect(monitor).toHaveBeenCalledWith({ resolution: 100 });
  });
});
