import 'reflect-metadata';
import { createDataSourceOptions, LOG_WRITE_LANES } from '@logpipe/log-store';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { LogSearch } from './log-filter';
import { parseLogQuery, type RawQuery } from './log-query.parser';
import { HISTOGRAM_INTERVALS, autoInterval } from './log-histogram';
import {
  buildContextStatements,
  buildCountStatement,
  buildHistogramStatement,
  buildSearchStatement,
  buildServicesStatement,
  type SqlStatement,
} from './log-query.sql';

const DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
// LOGPIPE_PLAN_ROWS=200000 LOGPIPE_PRINT_PLANS=1 prints the EXPLAIN ANALYZE output README quotes.
const ROWS = Number(process.env['LOGPIPE_PLAN_ROWS'] ?? 60000);
const PRINT = process.env['LOGPIPE_PRINT_PLANS'] === '1';

/**
 * A realistic spread, built in SQL: 90% tenant acme, 10% globex, 0.05% initech; one row every 10 s; levels mostly
 * info; eight services; messages from a small vocabulary plus one rare word ("kraken", 1 row in 5000);
 * ten rows per trace; attributes with a region (3 values), an order id (5000) and a customer (20000);
 * rows spread over the write lanes, as the worker's concurrent writers leave them.
 */
const SEED_SQL = `
  INSERT INTO logs (tenant, ts, received_at, level, service, message, attributes, trace_id, stream_id, lane)
  SELECT CASE WHEN i % 2000 = 1 THEN 'initech' WHEN i % 10 = 0 THEN 'globex' ELSE 'acme' END,
         timestamptz '2026-11-02' + i * interval '10 seconds',
         timestamptz '2026-11-02' + i * interval '10 seconds',
         (ARRAY['trace','debug','info','info','info','info','info','warn','error','fatal'])[1 + (('x' || substr(h, 1, 4))::bit(16)::int % 10)],
         (ARRAY['checkout','payments','api','search','auth','mailer','billing','inventory'])[1 + (('x' || substr(h, 5, 4))::bit(16)::int % 8)],
         (ARRAY['order placed','payment declined','cache miss','slow query','user login','retry scheduled','stock updated','request done'])[1 + (('x' || substr(h, 9, 4))::bit(16)::int % 8)]
           || ' id=' || i || CASE WHEN i % 5000 = 17 THEN ' kraken released' ELSE '' END,
         jsonb_build_object('region', (ARRAY['eu','us','ap'])[1 + i % 3], 'order', jsonb_build_object('id', i % 5000), 'customer', 'c' || (i % 20000)),
         md5((i / 10)::text),
         i || '-0',
         i % ${LOG_WRITE_LANES}
  FROM (SELECT i, md5(i::text) AS h FROM generate_series(1, $1::int) AS i) AS g`;

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows the scans of a plan looked at: what they returned plus what their filters threw away. */
function rowsExamined(all: PlanNode[]): number {
  return all
    .filter((n) => /Scan$/.test(n['Node Type']) && !n['Node Type'].startsWith('Bitmap Index'))
    .reduce(
      (sum, n) =>
        sum +
        (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Index Recheck'] ?? 0)) *
          n['Actual Loops'],
      0,
    );
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describe('query plans on a seeded table', () => {
  const schema = `test_plans_${randomBytes(4).toString('hex')}`;
  let client: Client;
  const parentIndex = new Map<string, string>();

  beforeAll(async () => {
    const admin = new Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.end();
    const dataSource = new DataSource(
      createDataSourceOptions({ url: DATABASE_URL, schema, migrationsRun: true }),
    );
    await dataSource.initialize();
    await dataSource.destroy();
    client = new Client({ connectionString: DATABASE_URL, options: `-c search_path=${schema}` });
    await client.connect();
    // `logs` is partitioned by time (libs/log-store): the worker's writer creates partitions as rows need
    // them, a plain INSERT does not, so the seed's are created first. Weekly, from Monday 2026-11-02: the
    // default seed fills one partition, as large as a busy day in production, where the planner's choice
    // between an index and a sequential scan is the one these tests pin down (on a partition of a few
    // thousand rows a sequential scan is cheaper, and rightly chosen).
    await client.query(
      `SELECT logpipe_create_log_partitions(timestamptz '2026-11-02', timestamptz '2026-11-02' + $1::int * interval '10 seconds' + interval '1 second', '1 week')`,
      [ROWS],
    );
    // No autovacuum on the seeded partitions: an auto-analyze after the test's own ANALYZE would draw a
    // new sample (and change the estimates) between a test's look at the statistics and its EXPLAIN.
    const { rows: partitions } = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'logs'::regclass`,
    );
    for (const { name } of partitions) {
      await client.query(`ALTER TABLE "${name}" SET (autovacuum_enabled = off)`);
    }
    await client.query(SEED_SQL, [ROWS]);
    // A partition's index is named after its table; the tests speak of the parent's index it belongs to.
    const { rows: inherited } = await client.query(
      `SELECT c.relname AS child, p.relname AS parent FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relkind = 'I' AND p.relnamespace = $1::regnamespace`,
      [schema],
    );
    for (const { child, parent } of inherited) parentIndex.set(child, parent);
    await client.query('ANALYZE logs');
  }, 300000);

  afterAll(async () => {
    await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    await client.end();
  });

  function search(raw: RawQuery): LogSearch {
    const parsed = parseLogQuery(raw, 'search');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    return parsed.value;
  }

  async function plan(
    name: string,
    statement: SqlStatement,
  ): Promise<{
    kinds: string[];
    indexes: string[];
    relations: string[];
    examined: number;
    seqScans: string[];
  }> {
    const { rows } = await client.query(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.text}`,
      statement.values,
    );
    const root = (rows[0]['QUERY PLAN'] as { Plan: PlanNode; 'Execution Time': number }[])[0];
    if (PRINT) {
      const text = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`, statement.values);
      console.log(
        `-- ${name} (${ROWS} rows)\n${statement.text}\n${text.rows.map((r) => r['QUERY PLAN']).join('\n')}`,
      );
    }
    const all = nodes(root.Plan);
    return {
      kinds: all.map((n) => n['Node Type']),
      indexes: [
        ...new Set(
          all.flatMap((n) => (n['Index Name'] ? [parentIndex.get(n['Index Name']) ?? n['Index Name']] : [])),
        ),
      ],
      relations: [...new Set(all.flatMap((n) => (n['Relation Name'] ? [n['Relation Name']] : [])))],
      examined: rowsExamined(all),
      seqScans: all.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name'] ?? '?'),
    };
  }

  it.each(['acme', 'globex', 'initech'])(
    'reads a page of %s, first or later, in index order: no sort of the whole tenant',
    async (tenant) => {
      const first = await plan(`newest page of ${tenant}`, buildSearchStatement(tenant, search({})));
      // Issue 14's diet left (tenant, ts, id) as the only B-tree leading with time: pages read along it.
      expect(first.indexes).toEqual(['logs_tenant_ts_id_idx']);
      expect(first.kinds).not.toContain('Seq Scan');
      expect(first.kinds).not.toContain('Sort');
      expect(first.examined).toBeLessThan(2000);
      const { rows } = await client.query(
        `SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts, id::text FROM logs WHERE tenant = $1 ORDER BY ts DESC, id DESC OFFSET least(3000, (SELECT count(*) FROM logs WHERE tenant = $1) / 2) LIMIT 1`,
        [tenant],
      );
      const next = await plan(
        `a later page of ${tenant} (cursor)`,
        buildSearchStatement(tenant, { ...search({}), cursor: { ts: rows[0].ts, id: rows[0].id } }),
      );
      expect(next.indexes).toEqual(['logs_tenant_ts_id_idx']);
      expect(next.kinds).not.toContain('Seq Scan');
      expect(next.kinds).not.toContain('Sort');
      expect(next.examined).toBeLessThan(2000);
    },
  );

  it('reads a time range without a tenant (retention, psql, Grafana) through the BRIN on ts', async () => {
    const result = await plan('one hour, no tenant', {
      text: 'SELECT count(*) FROM logs WHERE ts >= $1::timestamptz AND ts < $2::timestamptz',
      values: ['2026-11-03T10:00:00Z', '2026-11-03T11:00:00Z'],
    });
    expect(result.indexes).toEqual(['logs_ts_brin_idx']);
    expect(result.kinds).not.toContain('Seq Scan');
  });

  it("finds a rare word through the trigram index, every write lane's", async () => {
    const result = await plan('q=kraken', buildSearchStatement('acme', search({ q: 'kraken' })));
    expect([...result.indexes].sort()).toEqual(
      Array.from({ length: LOG_WRITE_LANES }, (_, lane) => `logs_message_trgm_lane${lane}_idx`),
    );
    expect(result.kinds).toContain('BitmapOr');
    expect(result.kinds).not.toContain('Seq Scan');
    expect(result.examined).toBeLessThan(100);
  });

  /**
   * A customer id of 3 rows that ANALYZE's sample did not put into the column's histogram. For `@>` the
   * planner tests every histogram entry; when the sample happens to hold one of those 3 rows (by
   * estimate about 1 ANALYZE in 200 here: 3 rows in 60,000, 100 histogram entries), the estimate jumps
   * to 1% of the table and a scan in time order looks cheaper. That is the planner's sampling, not the
   * query's shape, so the test takes the next rare id instead. The partition's statistics count, not
   * only the parent's: the scan is planned on the partition, whose ANALYZE drew its own sample (a
   * customer that only the partition's sample held made this test fail once in a full run).
   */
  async function rareCustomerOutsideStatistics(): Promise<string> {
    const { rows } = await client.query(
      `SELECT string_agg(coalesce(histogram_bounds::text, '') || coalesce(most_common_vals::text, ''), ' ') AS sampled
         FROM pg_stats WHERE schemaname = $1 AND attname = 'attributes'`,
      [schema],
    );
    const sampled: string = rows[0]?.sampled ?? '';
    if (!sampled.includes('customer'))
      throw new Error('no statistics on attributes: was the table analysed?');
    for (let id = 4242; id < 4342; id++) {
      if (id % 10 !== 0 && id % 2000 !== 1 && !sampled.includes(`c${id}\\"`)) return `c${id}`;
    }
    throw new Error('every candidate customer id is in the sampled statistics');
  }

  it('finds a rare attribute value through the jsonb_path_ops index', async () => {
    const customer = await rareCustomerOutsideStatistics();
    const result = await plan(
      `attr.customer=${customer}`,
      buildSearchStatement('acme', search({ 'attr.customer': customer })),
    );
    expect(result.indexes).toContain('logs_attributes_idx');
    expect(result.kinds).not.toContain('Seq Scan');
    expect(result.examined).toBeLessThan(100);
  });

  it('finds a trace through the (tenant, trace_id) index', async () => {
    const result = await plan(
      'trace_id',
      buildSearchStatement('acme', search({ trace_id: 'c4ca4238a0b923820dcc509a6f75849b' })),
    );
    expect(result.indexes).toEqual(['logs_tenant_trace_id_idx']);
  });

  it.each<[string, RawQuery]>([
    ['service=checkout', { service: 'checkout' }],
    ['level=error', { level: 'error' }],
    ['q=payment declined', { q: 'payment declined' }],
    ['a one-hour range', { from: '2026-11-03T10:00:00Z', to: '2026-11-03T11:00:00Z' }],
    ['service + level + attr.region', { service: 'checkout,payments', level: 'warn', 'attr.region': 'eu' }],
  ])('never reads the table sequentially for common filters: %s', async (name, raw) => {
    const result = await plan(name, buildSearchStatement('acme', search(raw)));
    expect(result.kinds).not.toContain('Seq Scan');
    expect(result.indexes.length).toBeGreaterThan(0);
    // A time range reads only its partitions.
    if (raw.from !== undefined) expect(result.relations).toEqual(['logs_p20261102t000000']);
  });

  it('counts one service in a range through an index', async () => {
    const parsed = parseLogQuery(
      { service: 'checkout', from: '2026-11-03T00:00:00Z', to: '2026-11-04T00:00:00Z' },
      'filter',
    );
    if (!parsed.ok) throw new Error('unreachable');
    const result = await plan('count service + day', buildCountStatement('acme', parsed.value));
    expect(result.kinds).not.toContain('Seq Scan');
  });
  describe('the console reads (after the vacuum that autovacuum gives an append-only table)', () => {
    // Autovacuum visits a table after enough inserts (autovacuum_vacuum_insert_threshold) and marks
    // its pages all-visible; only then can a count come from the index alone. Done here by hand.
    beforeAll(async () => {
      await client.query('VACUUM ANALYZE logs');
    }, 120000);

    function histogram(raw: RawQuery): SqlStatement {
      const parsed = parseLogQuery(raw, 'filter');
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      const fromMs = parsed.value.fromMs ?? 0;
      const toMs = parsed.value.toMs ?? 0;
      return buildHistogramStatement(
        'acme',
        { ...parsed.value, fromMs, toMs },
        HISTOGRAM_INTERVALS[autoInterval(fromMs, toMs)],
      );
    }
    // The seed spans about seven days from 2026-11-01; the edges are not on 5-minute boundaries.
    const week = { from: '2026-11-01T00:02:30Z', to: '2026-11-07T23:58:20Z' };

    it.each<[string, RawQuery]>([
      ['whole tenant', week],
      ['one service', { ...week, service: 'checkout' }],
      ['two services and a level', { ...week, service: 'checkout,payments', level: 'warn' }],
    ])(
      'answers a week of histogram (%s) from log_counts plus the two partial buckets, summing to the count',
      async (name, raw) => {
        const statement = histogram(raw);
        const result = await plan(`histogram, 7 days, ${name}`, statement);
        expect(result.seqScans.filter((relation) => relation === 'logs')).toEqual([]);
        expect(statement.text).toContain('FROM log_counts');
        const { rows } = await client.query(statement.text, statement.values);
        const total = rows.reduce((sum: number, row: { count: string }) => sum + Number(row.count), 0);
        const parsed = parseLogQuery(raw, 'filter');
        if (!parsed.ok) throw new Error('unreachable');
        const count = await client.query(
          buildCountStatement('acme', parsed.value).text,
          buildCountStatement('acme', parsed.value).values,
        );
        expect(total).toBe(Number(count.rows[0].count));
      },
    );

    it('counts the rows, from the covering index alone, for a filter log_counts does not hold', async () => {
      const statement = histogram({ ...week, service: 'checkout', q: 'kraken' });
      expect(statement.text).not.toContain('log_counts');
      // A 1-minute interval is finer than log_counts' buckets: the rows of one service are counted.
      const one = await plan(
        'histogram, 7 days, one service, 1-minute buckets',
        buildHistogramStatement(
          'acme',
          {
            services: ['checkout'],
            fromMs: Date.parse(week.from),
            toMs: Date.parse(week.to),
            attributes: [],
          },
          60000,
        ),
      );
      expect(one.kinds).toContain('Index Only Scan');
      expect(one.indexes).toContain('logs_tenant_service_ts_idx');
    });

    it('reads an hour of histogram through an index, not the whole tenant', async () => {
      const result = await plan(
        'histogram, 1 hour',
        histogram({ from: '2026-11-02T10:00:00Z', to: '2026-11-02T11:00:00Z' }),
      );
      expect(result.kinds).not.toContain('Seq Scan');
      expect(result.examined).toBeLessThan(2000);
    });

    it('lists services by a skip scan: a few index probes per service, not a pass over the rows', async () => {
      const result = await plan('services', buildServicesStatement('acme'));
      expect(result.indexes).toContain('logs_tenant_service_ts_idx');
      expect(result.kinds).not.toContain('Seq Scan');
      expect(result.examined).toBeLessThan(50);
    });

    // One service's rows in time order along logs_tenant_service_ts_idx; the read stops at the limit.
    it('reads the context of an entry in index order on both sides, without sorting', async () => {
      const { before, after } = buildContextStatements('acme', 'checkout', Date.UTC(2026, 10, 3, 12), 20);
      for (const [name, statement] of [
        ['context before', before],
        ['context after', after],
      ] as const) {
        const result = await plan(name, statement);
        expect(result.indexes).toEqual(['logs_tenant_service_ts_idx']);
        expect(result.kinds).not.toContain('Seq Scan');
        expect(result.kinds).not.toContain('Sort');
        expect(result.kinds).not.toContain('Incremental Sort');
        expect(result.examined).toBeLessThan(1000);
      }
    });
  });
});
