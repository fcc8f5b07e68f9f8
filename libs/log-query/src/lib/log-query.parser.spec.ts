import { encodeCursor } from './log-cursor';
import { levelsAtLeast, parseLogQuery } from './log-query.parser';

function errorsOf(raw: Record<string, unknown>, mode: 'search' | 'filter' = 'search') {
  const parsed = mode === 'search' ? parseLogQuery(raw, 'search') : parseLogQuery(raw, 'filter');
  if (parsed.ok) throw new Error(`expected errors, got ${JSON.stringify(parsed.value)}`);
  return parsed.errors;
}

describe('parseLogQuery', () => {
  it('defaults to the newest 100 entries with no filter', () => {
    expect(parseLogQuery({}, 'search')).toEqual({ ok: true, value: { attributes: [], limit: 100 } });
  });

  it('reads every filter into its normalised form', () => {
    const cursor = encodeCursor({ ts: '2026-11-26T10:00:00.123000Z', id: '42' });
    const parsed = parseLogQuery(
      {
        service: ['checkout,payments', 'api', 'checkout'],
        level: 'warn',
        from: '2026-11-26T09:00:00+01:00',
        to: '1795690800000',
        q: '  Payment   declined payment ',
        trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736',
        'attr.order.id': '42',
        'attr.region': 'eu-west',
        'attr.vip': 'true',
        limit: '25',
        cursor,
      },
      'search',
    );
    expect(parsed).toEqual({
      ok: true,
      value: {
        services: ['checkout', 'payments', 'api'],
        minLevel: 'warn',
        fromMs: Date.UTC(2026, 10, 26, 8),
        toMs: 1795690800000,
        words: ['Payment', 'declined', 'payment'],
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        attributes: [
          { path: ['order', 'id'], candidates: ['42', 42] },
          { path: ['region'], candidates: ['eu-west'] },
          { path: ['vip'], candidates: ['true', true] },
        ],
        limit: 25,
        cursor: { ts: '2026-11-26T10:00:00.123000Z', id: '42' },
      },
    });
  });

  it('reads null and negative or fractional numbers as candidates too', () => {
    const parsed = parseLogQuery({ 'attr.a': 'null', 'attr.b': '-1.5e3', 'attr.c': '007' }, 'filter');
    expect(parsed.ok && parsed.value.attributes).toEqual([
      { path: ['a'], candidates: ['null', null] },
      { path: ['b'], candidates: ['-1.5e3', -1500] },
      { path: ['c'], candidates: ['007'] },
    ]);
  });

  it.each([
    [{ level: 'loud' }, 'level', 'level must be one of: trace, debug, info, warn, error, fatal'],
    [{ limit: '0' }, 'limit', 'limit must be an integer from 1 to 1000'],
    [{ limit: '1001' }, 'limit', 'limit must be an integer from 1 to 1000'],
    [{ limit: 'ten' }, 'limit', 'limit must be an integer from 1 to 1000'],
    [
      { from: 'yesterday' },
      'from',
      expect.stringContaining('from must be an ISO-8601 date-time with a timezone'),
    ],
    [
      { to: '2026-11-26T10:00:00' },
      'to',
      expect.stringContaining('to must be an ISO-8601 date-time with a timezone'),
    ],
    [{ from: '2026-11-26T10:00:00Z', to: '2026-11-26T09:00:00Z' }, 'to', 'to must be later than from'],
    [
      { q: 'an ox' },
      'q',
      'q words must have at least 3 characters each ("an" is too short to search by index)',
    ],
    [{ q: '   ' }, 'q', 'q must contain at least one word'],
    [
      { q: '%%% payment' },
      'q',
      'q words must contain a letter or a digit ("%%%" cannot be searched by index)',
    ],
    [{ q: ['one', 'two'] }, 'q', 'q must be given once'],
    [{ trace_id: 'abc' }, 'trace_id', 'trace_id must be exactly 32 hexadecimal characters'],
    [{ service: '' }, 'service', 'service names must be 1-128 characters each'],
    [{ cursor: 'garbage!' }, 'cursor', expect.stringContaining('cursor is not a cursor this API returned')],
    [{ 'attr.': 'x' }, 'attr.', expect.stringContaining('must name an attribute key')],
    [{ 'attr.a..b': 'x' }, 'attr.a..b', expect.stringContaining('must name an attribute key')],
    [{ 'attr.a': ['x', 'y'] }, 'attr.a', 'attr.a must be given once'],
    [{ colour: 'red' }, 'colour', 'unknown parameter "colour"'],
  ])('refuses %j naming %s', (raw, parameter, message) => {
    expect(errorsOf(raw)).toEqual([{ parameter, message }]);
  });

  it('reports every bad parameter at once', () => {
    expect(
      errorsOf({ level: 'x', limit: '-1', colour: 'red' })
        .map((e) => e.parameter)
        .sort(),
    ).toEqual(['colour', 'level', 'limit']);
  });

  it('refuses paging parameters where there are no pages (tail, count)', () => {
    expect(errorsOf({ limit: '10', cursor: 'x' }, 'filter')).toEqual([
      { parameter: 'limit', message: 'limit applies to GET /api/logs only' },
      { parameter: 'cursor', message: 'cursor applies to GET /api/logs only' },
    ]);
  });

  it('refuses more than 10 attribute filters and more than 20 services', () => {
    const attrs = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`attr.k${i}`, 'v']));
    expect(errorsOf(attrs)).toEqual([{ parameter: 'attr.*', message: 'at most 10 attr.<key> filters' }]);
    expect(errorsOf({ service: Array.from({ length: 21 }, (_, i) => `s${i}`).join(',') })).toEqual([
      { parameter: 'service', message: 'service may name at most 20 services' },
    ]);
  });
});

describe('levelsAtLeast', () => {
  it('is the level and every more severe one', () => {
    expect(levelsAtLeast('warn')).toEqual(['warn', 'error', 'fatal']);
    expect(levelsAtLeast('trace')).toHaveLength(6);
    expect(levelsAtLeast('fatal')).toEqual(['fatal']);
  });
});
