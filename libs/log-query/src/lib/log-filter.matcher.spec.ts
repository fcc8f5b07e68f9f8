import type { LogEntry } from '@logpipe/log-schema';
import type { LogFilter } from './log-filter';
import { matchesLogFilter } from './log-filter.matcher';

const entry: LogEntry = {
  timestamp: Date.UTC(2026, 10, 26, 10),
  receivedAt: Date.UTC(2026, 10, 26, 10),
  level: 'error',
  service: 'checkout',
  message: 'Payment DECLINED for order 42',
  attributes: { order: { id: 42, tags: ['a'] }, region: 'eu', vip: true, note: null },
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: null,
  eventId: null,
  tenant: 'acme',
};

describe('matchesLogFilter', () => {
  it('matches with no filter', () => {
    expect(matchesLogFilter(entry, { attributes: [] })).toBe(true);
  });

  it.each<[string, Partial<LogFilter>, boolean]>([
    ['service among several', { services: ['api', 'checkout'] }, true],
    ['another service', { services: ['api'] }, false],
    ['a lower minimum level', { minLevel: 'warn' }, true],
    ['a higher minimum level', { minLevel: 'fatal' }, false],
    ['from at the event time (inclusive)', { fromMs: entry.timestamp }, true],
    ['to at the event time (exclusive)', { toMs: entry.timestamp }, false],
    ['words in any case and order', { words: ['declined', 'PAYMENT'] }, true],
    ['a word not there', { words: ['payment', 'refunded'] }, false],
    ['its trace', { traceId: entry.traceId as string }, true],
    ['another trace', { traceId: '0'.repeat(32) }, false],
  ])('%s: %j -> %s', (_name, filter, expected) => {
    expect(matchesLogFilter(entry, { attributes: [], ...filter })).toBe(expected);
  });

  it.each([
    [['order', 'id'], ['42', 42], true],
    [['order', 'id'], ['42'], false],
    [['region'], ['eu'], true],
    [['vip'], ['true', true], true],
    [['note'], ['null', null], true],
    [['missing'], ['null', null], false],
    // jsonb containment does not reach into arrays for a scalar, nor treat an object as a value.
    [['order', 'tags'], ['a'], false],
    [['order'], ['42', 42], false],
  ] as const)('attribute %j in %j: %s', (path, candidates, expected) => {
    expect(matchesLogFilter(entry, { attributes: [{ path: [...path], candidates: [...candidates] }] })).toBe(
      expected,
    );
  });
});
