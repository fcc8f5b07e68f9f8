export interface LogQueryOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Schema holding `logs` (the worker's DB_SCHEMA). */
  schema: string;
  /** Connections of this process's read pool: reads never take more from PostgreSQL than this. */
  poolSize: number;
  /** Server-side limit of one read (statement_timeout); past it the query is cancelled. */
  statementTimeoutMs: number;
  /** Longest wait for a connection from the pool or to PostgreSQL. */
  connectTimeoutMs?: number;
  applicationName?: string;
}

/** Injection token of the LogQueryOptions. */
export const LOG_QUERY_OPTIONS = Symbol('LOG_QUERY_OPTIONS');
