import { validateEnvironment } from '@logpipe/app-runtime';
import type { LogQueryService, ReadDatabaseState } from '@logpipe/log-query';
import type { ConfigService } from '@nestjs/config';
import { IngestConfig } from '../ingest.config';
import { IngestMetrics } from '../metrics/ingest.metrics';
import type { BacklogMonitor } from '../backpressure/backlog.monitor';
import { ReadReplicaMonitor } from './read-replica.monitor';

/** A monitor over a read database that answers `state` (null: does not answer), lag limit 30 s. */
function monitorOf(state: ReadDatabaseState | null) {
  const queries = { readDatabaseState: async () => state } as unknown as LogQueryService;
  const config = { get: () => 30 } as unknown as ConfigService<IngestConfig, true>;
  const metrics = new IngestMetrics({ state: { entries: 0, accepting: true } } as unknown as BacklogMonitor);
  return { monitor: new ReadReplicaMonitor(queries, config, metrics), metrics };
}

async function gauge(metrics: IngestMetrics, name: string): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  return metric?.values[0]?.value ?? Number.NaN;
}

describe('ReadReplicaMonitor', () => {
  it('reports a primary as up with no lag', async () => {
    const { monitor, metrics } = monitorOf({ role: 'primary' });
    expect(await monitor.report()).toEqual({ postgres: 'up', readDatabase: { role: 'primary' } });
    expect(await gauge(metrics, 'logpipe_read_database_replica')).toBe(0);
    expect(await gauge(metrics, 'logpipe_read_replica_lag_seconds')).toBe(0);
  });

  it('reports a replica within the lag limit as not lagging, and its lag', async () => {
    const { monitor, metrics } = monitorOf({ role: 'replica', lagSeconds: 30 });
    expect(await monitor.report()).toEqual({
      postgres: 'up',
      readDatabase: { role: 'replica', lagSeconds: 30, maxLagSeconds: 30, lagging: false },
    });
    expect(await gauge(metrics, 'logpipe_read_database_replica')).toBe(1);
    expect(await gauge(metrics, 'logpipe_read_replica_lag_seconds')).toBe(30);
  });

  it('reports a replica past the lag limit as lagging', async () => {
    const { monitor } = monitorOf({ role: 'replica', lagSeconds: 30.5 });
    expect((await monitor.report()).readDatabase).toMatchObject({ lagging: true });
  });

  it('does not call a replica with unknown lag lagging; the gauge says NaN', async () => {
    const { monitor, metrics } = monitorOf({ role: 'replica', lagSeconds: null });
    expect((await monitor.report()).readDatabase).toMatchObject({ lagSeconds: null, lagging: false });
    expect(await gauge(metrics, 'logpipe_read_replica_lag_seconds')).toBeNaN();
  });

  it('reports a read database that does not answer as down, without details', async () => {
    const { monitor, metrics } = monitorOf(null);
    expect(await monitor.report()).toEqual({ postgres: 'down' });
    expect(await gauge(metrics, 'logpipe_read_database_replica')).toBeNaN();
  });
});

describe('read replica settings', () => {
  const validate = validateEnvironment(IngestConfig);

  it('reads READ_DATABASE_URL and READ_REPLICA_MAX_LAG_SECONDS', () => {
    const config = validate({
      READ_DATABASE_URL: 'postgres://logpipe_reader@replica:5432/logpipe',
      READ_REPLICA_MAX_LAG_SECONDS: '5',
    });
    expect(config.READ_DATABASE_URL).toBe('postgres://logpipe_reader@replica:5432/logpipe');
    expect(config.READ_REPLICA_MAX_LAG_SECONDS).toBe(5);
    expect(validate({}).READ_REPLICA_MAX_LAG_SECONDS).toBe(30);
  });

  it.each([
    [{ READ_DATABASE_URL: 'mysql://replica/logpipe' }, /READ_DATABASE_URL must start with postgres:\/\//],
    [{ READ_REPLICA_MAX_LAG_SECONDS: '0' }, /READ_REPLICA_MAX_LAG_SECONDS/],
    [{ READ_REPLICA_MAX_LAG_SECONDS: 'soon' }, /READ_REPLICA_MAX_LAG_SECONDS/],
  ])('refuses %j naming the variable', (raw, message) => {
    expect(() => validate(raw)).toThrow(message);
  });
});
