import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Pool, type PoolClient } from 'pg';
import { encodeCursor } from './log-cursor';
import { viewOfRow, type LogEntryView, type LogRow } from './log-entry.view';
import type { LogFilter, LogSearch } from './log-filter';
import { classifyQueryError } from './log-query.errors';
import { LOG_QUERY_OPTIONS, type LogQueryOptions } from './log-query.options';
import {
  READ_DATABASE_STATE_SQL,
  readDatabaseStateOf,
  type ReadDatabaseState,
  type ReadDatabaseStateRow,
} from './read-database.state';
import {
  assembleHistogram,
  HISTOGRAM_INTERVALS,
  type HistogramRow,
  type LogHistogram,
} from './log-histogram';
import {
  buildContextStatements,
  buildCountStatement,
  buildHistogramStatement,
  buildSearchStatement,
  buildServicesStatement,
  type SqlStatement,
} from './log-query.sql';

/** One page of GET /api/logs. */
export interface LogPage {
  entries: LogEntryView[];
  /** Pass as `cursor` to get the next (older) page; null on the last page. */
  next_cursor: string | null;
}

/**
 * Reads `logs` for the query API over a small pool of its own (plain node-postgres: reads need no
 * entity layer). Every statement runs under statement_timeout, so a query that would scan too much is
 * cancelled by PostgreSQL itself and reported as QueryTimeoutError instead of holding a connection;
 * the pool size bounds how many such queries one process can run at once. Connections open lazily:
 * a process whose database is down still starts (and its write path keeps working).
 */
@Injectable()
export class LogQueryService implements OnApplicationShutdown {
  private readonly logger = new Logger(LogQueryService.name);
  private readonly pool: Pool;

  constructor(@Inject(LOG_QUERY_OPTIONS) private readonly options: LogQueryOptions) {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.schema)) {
      throw new Error(
        `LogQueryOptions.schema must be a plain lower-case SQL identifier, got ${JSON.stringify(options.schema)}`,
      );
    }
    this.pool = new Pool({
      connectionString: options.url,
      max: options.poolSize,
      statement_timeout: options.statementTimeoutMs,
      // A server that stops answering altogether is given up on a little after the statement timeout.
      query_timeout: options.statementTimeoutMs + 2000,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
      idleTimeoutMillis: 30000,
      application_name: options.applicationName ?? 'logpipe-query',
      options: `-c search_path=${options.schema}`,
    });
    // An idle connection the server drops must not crash the process; the next query reconnects.
    this.pool.on('error', (error) =>
      this.logger.warn({ message: 'idle PostgreSQL connection failed', error: error.message }),
    );
  }

  get statementTimeoutMs(): number {
    return this.options.statementTimeoutMs;
  }

  async search(tenant: string, search: LogSearch): Promise<LogPage> {
    const rows = await this.run<LogRow>(tenant, buildSearchStatement(tenant, search));
    const page = rows.slice(0, search.limit);
    const last = page[page.length - 1];
    return {
      entries: page.map(viewOfRow),
      next_cursor: rows.length > search.limit && last ? encodeCursor({ ts: last.ts_key, id: last.id }) : null,
    };
  }

  async count(tenant: string, filter: LogFilter): Promise<number> {
    const [row] = await this.run<{ count: string }>(tenant, buildCountStatement(tenant, filter));
    return Number(row.count);
  }

  /** Counts per bucket and level over [fromMs, toMs); `interval` is a key of HISTOGRAM_INTERVALS. */
  async histogram(
    tenant: string,
    filter: LogFilter & { fromMs: number; toMs: number },
    interval: string,
  ): Promise<LogHistogram> {
    const rows = await this.run<HistogramRow>(
      tenant,
      buildHistogramStatement(tenant, filter, HISTOGRAM_INTERVALS[interval]),
    );
    return assembleHistogram(filter.fromMs, filter.toMs, interval, rows);
  }

  /** The tenant's services, sorted by name. */
  async services(tenant: string): Promise<string[]> {
    return (await this.run<{ service: string }>(tenant, buildServicesStatement(tenant))).map(
      (row) => row.service,
    );
  }

  /** Entries of `service` around `atMs`, newest first: up to `limit` after it and `limit` at or before it. */
  async context(tenant: string, service: string, atMs: number, limit: number): Promise<LogEntryView[]> {
    const { before, after } = buildContextStatements(tenant, service, atMs, limit);
    const [older, newer] = await Promise.all([
      this.run<LogRow>(tenant, before),
      this.run<LogRow>(tenant, after),
    ]);
    return [...newer.reverse(), ...older].map(viewOfRow);
  }

  /** true when PostgreSQL answers within `timeoutMs`; never throws. */
  async isReachable(timeoutMs = 1000): Promise<boolean> {
    return (await this.answerWithin(timeoutMs, () => this.pool.query('SELECT 1').then(() => true))) ?? false;
  }

  /**
   * Whether reads go to the primary or to a replica, and the replica's replay lag (READ_DATABASE_STATE_SQL
   * says how it is measured); null when PostgreSQL does not answer within `timeoutMs`. Never throws.
   */
  async readDatabaseState(timeoutMs = 1000): Promise<ReadDatabaseState | null> {
    return this.answerWithin(timeoutMs, async () => {
      const { rows } = await this.pool.query<ReadDatabaseStateRow>(READ_DATABASE_STATE_SQL);
      return readDatabaseStateOf(rows[0]);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }

  /** The probe's answer, or null when it fails or takes longer than `timeoutMs` (health checks must not hang). */
  private async answerWithin<T>(timeoutMs: number, probe: () => Promise<T>): Promise<T | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    try {
      return await Promise.race([probe().catch(() => null), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs the statement in a read-only transaction that first sets `logpipe.tenant` (SET LOCAL: it ends with
   * the transaction, so a pooled connection never carries one caller's tenant into another's query). With
   * the query API connected as the reader role, row-level security then shows PostgreSQL only that
   * tenant's rows, whatever the statement's own tenant filter says: the second wall. BEGIN and SET LOCAL
   * travel as one simple-protocol message, so this costs two round trips more than a bare query. All of it
   * is allowed on a hot standby (a read-only transaction may SET LOCAL a custom setting), so the same code
   * reads from a read replica; apps/replica-e2e runs it against one.
   */
  private async run<T>(tenant: string, statement: SqlStatement): Promise<T[]> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw classifyQueryError(error, this.options.statementTimeoutMs);
    }
    let broken: Error | undefined;
    try {
      await client.query(`BEGIN READ ONLY; SET LOCAL logpipe.tenant = ${client.escapeLiteral(tenant)}`);
      const rows = (await client.query(statement.text, statement.values)).rows as T[];
      await client.query('COMMIT');
      return rows;
    } catch (error) {
      // A connection whose ROLLBACK fails too is broken: release() with the error drops it from the pool.
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw classifyQueryError(error, this.options.statementTimeoutMs);
    } finally {
      client.release(broken);
    }
  }
}
