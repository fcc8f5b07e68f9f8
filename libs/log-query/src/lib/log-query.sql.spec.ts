import { buildSearchStatement, containmentDocument, escapeLikePattern } from './log-query.sql';

describe('query SQL', () => {
  it('escapes LIKE wildcards so a word matches literally', () => {
    expect(escapeLikePattern('100%_done\\')).toBe('100\\%\\_done\\\\');
  });

  it('nests an attribute path into the containment document', () => {
    expect(containmentDocument(['order', 'id'], 42)).toBe('{"order":{"id":42}}');
    expect(containmentDocument(['a'], 'it\'s "x"')).toBe('{"a":"it\'s \\"x\\""}');
  });

  it('passes every value as a parameter, none spliced into the text', () => {
    const hostile = "x'; DROP TABLE logs; --";
    const statement = buildSearchStatement(hostile, {
      services: [hostile],
      words: [hostile],
      traceId: hostile,
      attributes: [{ path: [hostile], candidates: [hostile] }],
      limit: 10,
    });
    expect(statement.text).not.toContain('DROP');
    expect(statement.values).toContain(hostile);
    expect(statement.values[statement.values.length - 1]).toBe(11);
  });
});
