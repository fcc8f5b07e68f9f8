import { IN_EVERY_WRITE_LANE } from '@logpipe/log-store/write-lanes';
import type { AttributeFilter, LogFilter, LogSearch } from './log-filter';
import { levelsAtLeast } from './log-query.parser';

export interface SqlStatement {
  text: string;
  values: unknown[];
}

/** `%`, `_` and the escape character itself are literal in a `q` word. */
export function escapeLikePattern(word: string): string {
  return word.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** The JSON document `{"a":{"b":value}}` for path ['a', 'b']: what `attributes @>` looks for. */
export function containmentDocument(
  path: readonly string[],
  value: AttributeFilter['candidates'][number],
): string {
  let document: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) document = { [path[i]]: document };
  return JSON.stringify(document);
}

/** Numbered parameters and AND-ed conditions; every value is a parameter, never spliced into the SQL. */
class WhereClause {
  private readonly conditions: string[] = [];

  /** `values` may be shared by several clauses of one statement (their $n numbers continue). */
  constructor(readonly values: unknown[] = []) {}

  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  and(condition: string): void {
    this.conditions.push(condition);
  }

  get sql(): string {
    return this.conditions.join('\n    AND ');
  }
}

/**
 * The filters as conditions, each shaped for an index of the `logs` table:
 * tenant + ts -> logs_tenant_ts_id_idx (ranges and newest-first order), trace_id -> logs_tenant_trace_id_idx,
 * ILIKE '%word%' -> logs_message_trgm_lane<n>_idx (pg_trgm GIN, one partial index per write lane, so the
 * words come with IN_EVERY_WRITE_LANE: a BitmapOr of the lanes' indexes), attributes @> ->
 * logs_attributes_idx (jsonb_path_ops GIN), service -> logs_tenant_service_ts_idx. The planner picks
 * among them by selectivity.
 */
function whereFor(tenant: string, filter: LogFilter, values: unknown[] = []): WhereClause {
  const where = new WhereClause(values);
  where.and(`tenant = ${where.param(tenant)}`);
  if (filter.services?.length) where.and(`service = ANY(${where.param(filter.services)}::text[])`);
  if (filter.minLevel !== undefined && filter.minLevel !== 'trace') {
    where.and(`level = ANY(${where.param(levelsAtLeast(filter.minLevel))}::text[])`);
  }
  if (filter.fromMs !== undefined)
    where.and(`ts >= ${where.param(new Date(filter.fromMs).toISOString())}::timestamptz`);
  if (filter.toMs !== undefined)
    where.and(`ts < ${where.param(new Date(filter.toMs).toISOString())}::timestamptz`);
  for (const word of filter.words ?? [])
    where.and(`message ILIKE ${where.param(`%${escapeLikePattern(word)}%`)}`);
  if (filter.words?.length) where.and(IN_EVERY_WRITE_LANE);
  if (filter.traceId !== undefined) where.and(`trace_id = ${where.param(filter.traceId)}`);
  for (const attribute of filter.attributes) {
    const alternatives = attribute.candidates.map(
      (candidate) => `attributes @> ${where.param(containmentDocument(attribute.path, candidate))}::jsonb`,
    );
    where.and(alternatives.length === 1 ? alternatives[0] : `(${alternatives.join(' OR ')})`);
  }
  return where;
}

/** Columns of a page row; `ts_key` is the exact `ts` (microseconds, UTC) that the next cursor carries. */
const PAGE_COLUMNS = `id, ts, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts_key,
         received_at, level, service, message, attributes, trace_id, span_id, event_id, stream_id`;

/**
 * One page, newest first, by keyset: `(ts, id) < cursor` continues strictly after the last row shown,
 * so rows written meanwhile never shift a page (unlike OFFSET): a newer row is simply not on later
 * pages, an older one lands where it belongs. One row more than `limit` is read to know whether
 * another page exists.
 */
export function buildSearchStatement(tenant: string, search: LogSearch): SqlStatement {
  const where = whereFor(tenant, search);
  if (search.cursor) {
    where.and(
      `(ts, id) < (${where.param(search.cursor.ts)}::timestamptz, ${where.param(search.cursor.id)}::bigint)`,
    );
  }
  const limit = where.param(search.limit + 1);
  return {
    text: `SELECT ${PAGE_COLUMNS}\n  FROM logs\n  WHERE ${where.sql}\n  ORDER BY ts DESC, id DESC\n  LIMIT ${limit}`,
    values: where.values,
  };
}

/** How many rows match (same filters, no page). */
export function buildCountStatement(tenant: string, filter: LogFilter): SqlStatement {
  const where = whereFor(tenant, filter);
  return {
    text: `SELECT count(*)::bigint AS count\n  FROM logs\n  WHERE ${where.sql}`,
    values: where.values,
  };
}

/** Bucket width of `log_counts` (the migration's date_bin); histogram intervals that are multiples use it. */
export const ROLLUP_MS = 5 * 60000;

const EPOCH = `timestamptz '1970-01-01 00:00:00+00'`;

/** Rows of `logs` per bucket and level (the WHERE clause already holds every filter and the range). */
function rowsPerBucket(where: WhereClause, interval: string): string {
  return `SELECT date_bin(${interval}::interval, ts, ${EPOCH}) AS bucket, level, count(*) AS n\n      FROM logs\n      WHERE ${where.sql}\n      GROUP BY 1, 2`;
}

/**
 * Matching entries grouped by bucket of `intervalMs` (aligned to the Unix epoch, as bucketRange expects)
 * and level, over a bounded range (`fromMs` and `toMs` set: the caller fixes it).
 *
 * When only tenant, services, level and range filter, and the interval is a multiple of ROLLUP_MS, the
 * whole 5-minute buckets inside the range are read from `log_counts` (kept by a trigger on `logs`) and
 * only the partial buckets at the two ends from `logs`: a week is about 2,000 counts per service and
 * level instead of every row, and the total still equals GET /api/logs/count for the same range.
 * Otherwise (text, trace or attribute filters; short intervals) the rows are counted; one service or a
 * tenant reads logs_tenant_service_ts_idx (which INCLUDEs level) without touching the rows.
 */
export function buildHistogramStatement(
  tenant: string,
  filter: LogFilter & { fromMs: number; toMs: number },
  intervalMs: number,
): SqlStatement {
  const values: unknown[] = [];
  const interval = `$${values.push(`${intervalMs} milliseconds`)}`;
  const innerFrom = Math.ceil(filter.fromMs / ROLLUP_MS) * ROLLUP_MS;
  const innerTo = Math.floor(filter.toMs / ROLLUP_MS) * ROLLUP_MS;
  const rollup =
    intervalMs % ROLLUP_MS === 0 &&
    innerFrom < innerTo &&
    !filter.words?.length &&
    filter.traceId === undefined &&
    filter.attributes.length === 0;
  const parts: string[] = [];
  if (!rollup) {
    parts.push(rowsPerBucket(whereFor(tenant, filter, values), interval));
  } else {
    const counts = new WhereClause(values);
    counts.and(`tenant = ${counts.param(tenant)}`);
    if (filter.services?.length) counts.and(`service = ANY(${counts.param(filter.services)}::text[])`);
    if (filter.minLevel !== undefined && filter.minLevel !== 'trace') {
      counts.and(`level = ANY(${counts.param(levelsAtLeast(filter.minLevel))}::text[])`);
    }
    counts.and(`bucket >= ${counts.param(new Date(innerFrom).toISOString())}::timestamptz`);
    counts.and(`bucket < ${counts.param(new Date(innerTo).toISOString())}::timestamptz`);
    parts.push(
      `SELECT date_bin(${interval}::interval, bucket, ${EPOCH}) AS bucket, level, sum(count) AS n\n      FROM log_counts\n      WHERE ${counts.sql}\n      GROUP BY 1, 2`,
    );
    if (filter.fromMs < innerFrom) {
      parts.push(rowsPerBucket(whereFor(tenant, { ...filter, toMs: innerFrom }, values), interval));
    }
    if (innerTo < filter.toMs) {
      parts.push(rowsPerBucket(whereFor(tenant, { ...filter, fromMs: innerTo }, values), interval));
    }
  }
  // Grouped by the timestamptz date_bin gives (cheap to hash); turned into epoch ms only per group,
  // since extract() yields numeric, which would cost a numeric computation for every row.
  return {
    text:
      `SELECT (extract(epoch FROM bucket) * 1000)::bigint AS bucket_ms, level, sum(n)::bigint AS count\n  FROM (\n    ` +
      parts.join('\n    UNION ALL\n    ') +
      `\n  ) AS parts\n  GROUP BY 1, 2`,
    values,
  };
}

/** Most services one answer lists (the recursion below stops there). */
export const MAX_SERVICES_LISTED = 1000;

/**
 * The tenant's distinct services, by a skip scan: each step asks logs_tenant_service_ts_idx for the
 * first service after the previous one, so the cost grows with the number of services (a handful of
 * index probes each), not with the number of rows.
 */
export function buildServicesStatement(tenant: string): SqlStatement {
  return {
    text: `WITH RECURSIVE found(service, n) AS (
    (SELECT service, 1 FROM logs WHERE tenant = $1 ORDER BY service LIMIT 1)
    UNION ALL
    SELECT (SELECT l.service FROM logs l WHERE l.tenant = $1 AND l.service > found.service ORDER BY l.service LIMIT 1), n + 1
      FROM found WHERE found.service IS NOT NULL AND n < $2
  )
  SELECT service FROM found WHERE service IS NOT NULL ORDER BY service`,
    values: [tenant, MAX_SERVICES_LISTED],
  };
}

/**
 * Entries of one service next to a moment: up to `limit` at or before it (newest first) and up to
 * `limit` after it (oldest first), both read in order from logs_tenant_service_ts_idx. Ordered by `ts`
 * alone, which that index gives without a sort (entries of the same millisecond come in either order).
 */
export function buildContextStatements(
  tenant: string,
  service: string,
  atMs: number,
  limit: number,
): { before: SqlStatement; after: SqlStatement } {
  const at = new Date(atMs).toISOString();
  return {
    before: {
      text: `SELECT ${PAGE_COLUMNS}\n  FROM logs\n  WHERE tenant = $1 AND service = $2 AND ts <= $3::timestamptz\n  ORDER BY ts DESC\n  LIMIT $4`,
      values: [tenant, service, at, limit],
    },
    after: {
      text: `SELECT ${PAGE_COLUMNS}\n  FROM logs\n  WHERE tenant = $1 AND service = $2 AND ts > $3::timestamptz\n  ORDER BY ts ASC\n  LIMIT $4`,
      values: [tenant, service, at, limit],
    },
  };
}
