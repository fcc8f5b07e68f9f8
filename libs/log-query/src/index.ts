// Public API of @logpipe/log-query: the read side of the `logs` table (query-string rules, filters,
// keyset pages with an opaque cursor, statement-timed reads) and the same filters for entries in memory.
export type { AttributeFilter, LogCursor, LogFilter, LogSearch } from './lib/log-filter';
export { LogQueryDto } from './lib/log-query.dto';
export { parseLogQuery, type Parsed, type QueryParameterError, type RawQuery } from './lib/log-query.parser';
// The histogram statement alone: console-e2e's timing spec runs it against its own schema.
export { buildHistogramStatement, type SqlStatement } from './lib/log-query.sql';
export {
  autoInterval,
  bucketRange,
  DEFAULT_HISTOGRAM_RANGE_MS,
  HISTOGRAM_INTERVALS,
  MAX_BUCKETS,
  type HistogramBucket,
  type LogHistogram,
} from './lib/log-histogram';
export { matchesLogFilter } from './lib/log-filter.matcher';
export { viewOfEntry, type LogEntryView } from './lib/log-entry.view';
export { QueryTimeoutError, QueryUnavailableError } from './lib/log-query.errors';
export type { LogQueryOptions } from './lib/log-query.options';
export { LogQueryService, type LogPage } from './lib/log-query.service';
export type { ReadDatabaseState } from './lib/read-database.state';
export { LogQueryModule, type LogQueryModuleAsyncOptions } from './lib/log-query.module';
