import { Histogram, Registry } from 'prom-client';
import { RequestDurationHistogram } from './request-duration.histogram';

const NAME = 'logpipe_http_request_duration_seconds';
const HELP = 'HTTP request duration by route (the route pattern, not the URL) and status';
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** A deterministic stream of observations: label sets and durations, bounds and +Inf included. */
function observations(count: number): [string, string, number, number][] {
  const methods = ['GET', 'POST', 'HEAD'];
  const routes = ['/api/log', '/api/logs', 'unmatched', '/v1/logs'];
  const statuses = [200, 202, 400, 413, 503];
  const durations = [0, 0.0004, 0.001, 0.0010001, 0.003, 0.05, 0.25, 0.9999, 2.5, 4.2, 5, 7.5, 60];
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  return Array.from({ length: count }, () => [
    methods[next(methods.length)],
    routes[next(routes.length)],
    statuses[next(statuses.length)],
    durations[next(durations.length)] + next(3) * 1e-7,
  ]);
}

describe('RequestDurationHistogram', () => {
  it("prints the lines prom-client's Histogram prints for the same observations (text and JSON)", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const histogram = new RequestDurationHistogram(NAME, HELP, BUCKETS, ours);
    const reference = new Histogram({
      name: NAME,
      help: HELP,
      labelNames: ['method', 'route', 'status'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    for (const [method, route, status, seconds] of observations(5000)) {
      histogram.observe(method, route, status, seconds);
      reference.observe({ method, route, status: String(status) }, seconds);
    }

    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toMatch(
      /^logpipe_http_request_duration_seconds_count\{method="POST",route="\/api\/logs",status="202"\} \d+$/m,
    );
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it('counts a duration equal to a bound in that bound, and one past the last only in +Inf', async () => {
    const registry = new Registry();
    const histogram = new RequestDurationHistogram(NAME, HELP, [0.1, 1], registry);
    histogram.observe('POST', '/api/log', 202, 0.1);
    histogram.observe('POST', '/api/log', 202, 3);
    const text = await registry.metrics();
    const labels = 'method="POST",route="/api/log",status="202"';
    expect(text).toContain(`${NAME}_bucket{le="0.1",${labels}} 1`);
    expect(text).toContain(`${NAME}_bucket{le="1",${labels}} 1`);
    expect(text).toContain(`${NAME}_bucket{le="+Inf",${labels}} 2`);
    expect(text).toContain(`${NAME}_sum{${labels}} 3.1`);
    expect(text).toContain(`${NAME}_count{${labels}} 2`);
  });

  it('starts over on reset, as the registry asks of every metric', async () => {
    const registry = new Registry();
    const histogram = new RequestDurationHistogram(NAME, HELP, BUCKETS, registry);
    histogram.observe('GET', '/health/live', 200, 0.002);
    registry.resetMetrics();
    expect(await registry.metrics()).toBe(`# HELP ${NAME} ${HELP}\n# TYPE ${NAME} histogram\n`);
  });

  it('observes through a series observer into the series observe() uses, before and after a reset', async () => {
    const registry = new Registry();
    const histogram = new RequestDurationHistogram(NAME, HELP, [0.1, 1], registry);
    const accepted = histogram.seriesObserver('POST', '/api/log', 202);
    accepted(0.05);
    histogram.observe('POST', '/api/log', 202, 0.5);
    const labels = 'method="POST",route="/api/log",status="202"';
    let text = await registry.metrics();
    expect(text).toContain(`${NAME}_bucket{le="0.1",${labels}} 1`);
    expect(text).toContain(`${NAME}_count{${labels}} 2`);
    registry.resetMetrics();
    accepted(3);
    text = await registry.metrics();
    expect(text).toContain(`${NAME}_bucket{le="0.1",${labels}} 0`);
    expect(text).toContain(`${NAME}_bucket{le="+Inf",${labels}} 1`);
    expect(text).toContain(`${NAME}_sum{${labels}} 3`);
  });
});
