import 'reflect-metadata';
import { type LogEntry, type LogLevel, LOG_LEVELS } from '@logpipe/log-schema';
import { LogBatchWriter, type StoredLogEntry } from '@logpipe/log-store';
import { openMigratedSchema } from '@logpipe/log-store/testing';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { matchesLogFilter } from './log-filter.matcher';
import { QueryTimeoutError, QueryUnavailableError } from './log-query.errors';
import { parseLogQuery, type RawQuery } from './log-query.parser';
import { LogQueryService } from './log-query.service';

const DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Deterministic pseudo-random numbers (mulberry32), so the data set is the same on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERVICES = ['checkout', 'payments', 'api', 'search'];
const WORDS = ['order', 'payment', 'declined', 'accepted', 'timeout', 'retry', 'cache', 'Stock'];
const REGIONS = ['eu', 'us', 'ap'];
const TRACES = ['4bf92f3577b34da6a3ce929d0e0e4736', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', null];
const BASE_MS = Date.UTC(2026, 10, 26, 0, 0, 0);

/** 600 entries over two tenants; every timestamp distinct, so newest-first order is unambiguous. */
function seed(): StoredLogEntry[] {
  const next = random(7);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  return Array.from({ length: 600 }, (_, i) => {
    const words = [pick(WORDS), pick(WORDS), `n${i}`];
    const attributes =
      i % 5 === 0
        ? null
        : {
            region: pick(REGIONS),
            order: { id: i % 7, code: String(i % 7) },
            vip: i % 3 === 0,
            ...(i % 11 === 0 ? { note: null } : {}),
          };
    return {
      timestamp: BASE_MS + i * 1000 + Math.floor(next() * 500),
      receivedAt: BASE_MS + i * 1000 + 900,
      level: pick(LOG_LEVELS) as LogLevel,
      service: pick(SERVICES),
      message: words.join(' '),
      attributes,
      traceId: pick(TRACES),
      spanId: null,
      eventId: null,
      tenant: i % 4 === 3 ? 'globex' : 'acme',
      streamId: `${BASE_MS + i}-0`,
    };
  });
}

describe('LogQueryService against PostgreSQL', () => {
  const schema = `test_query_${randomBytes(4).toString('hex')}`;
  const rows = seed();
  let dataSource: DataSource;
  let writer: LogBatchWriter;
  let queries: LogQueryService;

  beforeAll(async () => {
    dataSource = await openMigratedSchema(DATABASE_URL, schema);
    writer = new LogBatchWriter(dataSource);
    await writer.insert(rows);
    queries = new LogQueryService({ url: DATABASE_URL, schema, poolSize: 2, statementTimeoutMs: 2000 });
  });

  afterAll(async () => {
    await queries.onApplicationShutdown();
    await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
    await dataSource.destroy();
  });

  /** Every stream id GET /api/logs would return for `raw`, following next_cursor to the end. */
  async function allPages(tenant: string, raw: RawQuery): Promise<string[]> {
    const parsed = parseLogQuery(raw, 'search');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const again = cursor === null ? parsed : parseLogQuery({ ...raw, cursor }, 'search');
      if (!again.ok) throw new Error(JSON.stringify(again.errors));
      const page = await queries.search(tenant, again.value);
      expect(page.entries.length).toBeLessThanOrEqual(again.value.limit);
      seen.push(...page.entries.map((entry) => entry.stream_id));
      cursor = page.next_cursor;
    } while (cursor !== null);
    return seen;
  }

  /** The same filters applied to the seeded entries in memory, newest first. */
  function expected(tenant: string, raw: RawQuery): string[] {
    const { limit: _limit, ...filters } = raw;
    const parsed = parseLogQuery(filters, 'filter');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    return rows
      .filter((row) => row.tenant === tenant && matchesLogFilter(row as LogEntry, parsed.value))
      .sort((a, b) => b.timestamp - a.timestamp)
      .map((row) => row.streamId);
  }

  it.each<[string, RawQuery]>([
    ['no filter', {}],
    ['one service', { service: 'checkout' }],
    ['several services', { service: ['checkout', 'api'] }],
    ['services separated by commas', { service: 'payments,search' }],
    ['minimum level warn', { level: 'warn' }],
    ['minimum level fatal', { level: 'fatal' }],
    [
      'a time range',
      { from: new Date(BASE_MS + 100_000).toISOString(), to: new Date(BASE_MS + 250_000).toISOString() },
    ],
    ['one word', { q: 'declined' }],
    ['two words in another case', { q: 'STOCK payment' }],
    ['a word that is part of others', { q: 'n12' }],
    ['a trace id, upper-case', { trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736' }],
    ['a string attribute', { 'attr.region': 'eu' }],
    ['a nested number attribute', { 'attr.order.id': '3' }],
    ['a nested string attribute that looks like a number', { 'attr.order.code': '3' }],
    ['a boolean attribute', { 'attr.vip': 'true' }],
    ['a null attribute', { 'attr.note': 'null' }],
    [
      'everything at once',
      { service: 'checkout,payments', level: 'info', q: 'order', 'attr.region': 'us', limit: '7' },
    ],
  ])('returns exactly the matching rows, newest first, across pages: %s', async (_name, raw) => {
    for (const tenant of ['acme', 'globex']) {
      const want = expected(tenant, raw);
      const paged = await allPages(tenant, { limit: '40', ...raw });
      expect(paged).toEqual(want);
      const { limit: _limit, ...filters } = raw;
      const count = parseLogQuery(filters, 'filter');
      if (!count.ok) throw new Error('unreachable');
      await expect(queries.count(tenant, count.value)).resolves.toBe(want.length);
    }
  });

  it('has a data set where the filters actually select something (the cases above are not vacuous)', () => {
    expect(expected('acme', {})).toHaveLength(450);
    expect(expected('globex', {})).toHaveLength(150);
    for (const raw of [
      { service: 'checkout' },
      { level: 'fatal' },
      { q: 'declined' },
      { 'attr.order.id': '3' },
      { 'attr.note': 'null' },
    ]) {
      const some = expected('acme', raw).length;
      expect(some).toBeGreaterThan(0);
      expect(some).toBeLessThan(450);
    }
  });

  it("never returns another tenant's rows", async () => {
    const acme = new Set(await allPages('acme', { limit: '1000' }));
    const globex = await allPages('globex', { limit: '1000' });
    expect(globex).toHaveLength(150);
    expect(globex.filter((id) => acme.has(id))).toEqual([]);
    await expect(allPages('initech', {})).resolves.toEqual([]);
  });

  it('returns entries in the submitted shape', async () => {
    const parsed = parseLogQuery({ limit: '1', 'attr.order.id': '1', q: 'n106' }, 'search');
    if (!parsed.ok) throw new Error('unreachable');
    const [entry] = (await queries.search('acme', parsed.value)).entries;
    const source = rows.find((row) => row.streamId === entry.stream_id) as StoredLogEntry;
    expect(entry).toEqual({
      timestamp: new Date(source.timestamp).toISOString(),
      received_at: new Date(source.receivedAt).toISOString(),
      level: source.level,
      service: source.service,
      message: source.message,
      attributes: source.attributes,
      trace_id: source.traceId,
      span_id: null,
      id: null,
      stream_id: source.streamId,
    });
  });

  it('visits every row once while newer and older rows keep arriving', async () => {
    const tenant = `paging-${randomBytes(3).toString('hex')}`;
    const initial = rows.slice(0, 200).map((row, i) => ({ ...row, tenant, streamId: `p-${i}` }));
    // Same timestamps in pairs: the row id breaks the tie, and the cursor must carry it.
    for (let i = 1; i < initial.length; i += 2) initial[i].timestamp = initial[i - 1].timestamp;
    await writer.insert(initial);
    const seen: string[] = [];
    let cursor: string | null = null;
    let written = 0;
    do {
      const parsed = parseLogQuery(cursor === null ? { limit: '9' } : { limit: '9', cursor }, 'search');
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      const page = await queries.search(tenant, parsed.value);
      seen.push(...page.entries.map((entry) => entry.stream_id));
      cursor = page.next_cursor;
      // Between pages: one row newer than everything, one in the middle of the range already read.
      await writer.insert([
        { ...rows[0], tenant, streamId: `new-${written}`, timestamp: BASE_MS + 10_000_000 + written },
        { ...rows[0], tenant, streamId: `mid-${written}`, timestamp: initial[100].timestamp + 1 },
      ]);
      written++;
    } while (cursor !== null);
    const initialIds = initial.map((row) => row.streamId);
    expect(new Set(seen).size).toBe(seen.length);
    expect(initialIds.filter((id) => !seen.includes(id))).toEqual([]);
    expect(written).toBeGreaterThan(20);
  });

  it('cancels a query at the statement timeout and says so', async () => {
    const impatient = new LogQueryService({
      url: DATABASE_URL,
      schema,
      poolSize: 1,
      statementTimeoutMs: 300,
    });
    const locker = new Client({ connectionString: DATABASE_URL, options: `-c search_path=${schema}` });
    await locker.connect();
    try {
      // A lock held elsewhere makes the read wait: statement_timeout counts waiting too.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE logs IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      await expect(impatient.count('acme', { attributes: [] })).rejects.toBeInstanceOf(QueryTimeoutError);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
      await impatient.onApplicationShutdown();
    }
  });

  it('reports an unreachable database as unavailable, not reachable, and of no known role', async () => {
    const offline = new LogQueryService({
      url: 'postgres://postgres@127.0.0.1:1/none',
      schema,
      poolSize: 1,
      statementTimeoutMs: 1000,
    });
    try {
      await expect(offline.count('acme', { attributes: [] })).rejects.toBeInstanceOf(QueryUnavailableError);
      await expect(offline.isReachable()).resolves.toBe(false);
      await expect(queries.isReachable()).resolves.toBe(true);
      await expect(offline.readDatabaseState()).resolves.toBeNull();
      // The shared test database is a primary; apps/replica-e2e measures a real standby's lag.
      await expect(queries.readDatabaseState()).resolves.toEqual({ role: 'primary' });
    } finally {
      await offline.onApplicationShutdown();
    }
  });
});
