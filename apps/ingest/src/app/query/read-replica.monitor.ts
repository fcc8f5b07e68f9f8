import { LogQueryService, type ReadDatabaseState } from '@logpipe/log-query';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Gauge } from 'prom-client';
import type { IngestConfig } from '../ingest.config';
import { IngestMetrics } from '../metrics/ingest.metrics';

/** What readiness says about the read database (READ_DATABASE_URL, else DATABASE_URL). */
export interface ReadDatabaseReport {
  postgres: 'up' | 'down';
  /** Absent while PostgreSQL does not answer. */
  readDatabase?:
    | { role: 'primary' }
    | { role: 'replica'; lagSeconds: number | null; maxLagSeconds: number; lagging: boolean };
}

/**
 * Reports where the query API's reads go and, on a read replica, how far behind it is: in readiness and
 * as metrics. A replica past READ_REPLICA_MAX_LAG_SECONDS is reported as lagging, never failed over from:
 * its lag usually comes from a write burst on the primary, which is the worst moment to move every read
 * there too, and DATABASE_URL need not be a role the read path may use. Readiness stays 200 either way:
 * it gates the writes, which need no PostgreSQL at all.
 */
@Injectable()
export class ReadReplicaMonitor {
  private readonly maxLagSeconds: number;

  constructor(
    private readonly queries: LogQueryService,
    config: ConfigService<IngestConfig, true>,
    metrics: IngestMetrics,
  ) {
    this.maxLagSeconds = config.get('READ_REPLICA_MAX_LAG_SECONDS', { infer: true });
    const registers = [metrics.registry];
    // Both gauges ask PostgreSQL at scrape time (one short statement each) rather than on a timer, so an
    // instance nobody scrapes sends the read database nothing.
    new Gauge({
      name: 'logpipe_read_database_replica',
      help: '1 when the query API reads from a hot standby (read replica), 0 from a primary; NaN while PostgreSQL does not answer',
      registers,
      collect: async function (this: Gauge) {
        const state = await queries.readDatabaseState();
        this.set(state === null ? Number.NaN : state.role === 'replica' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'logpipe_read_replica_lag_seconds',
      help: 'Replay lag of the read replica: age of its last replayed transaction, 0 once it has replayed all WAL it received (0 on a primary; NaN while unknown)',
      registers,
      collect: async function (this: Gauge) {
        this.set(lagOf(await queries.readDatabaseState()));
      },
    });
  }

  async report(): Promise<ReadDatabaseReport> {
    const state = await this.queries.readDatabaseState();
    if (!state) return { postgres: 'down' };
    if (state.role === 'primary') return { postgres: 'up', readDatabase: state };
    return {
      postgres: 'up',
      readDatabase: {
        ...state,
        maxLagSeconds: this.maxLagSeconds,
        // Unknown lag (nothing replayed yet) is not called lagging: there is nothing to judge it by.
        lagging: state.lagSeconds !== null && state.lagSeconds > this.maxLagSeconds,
      },
    };
  }
}

function lagOf(state: ReadDatabaseState | null): number {
  if (state === null) return Number.NaN;
  if (state.role === 'primary') return 0;
  return state.lagSeconds ?? Number.NaN;
}
