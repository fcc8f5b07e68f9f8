import { isTransientDatabaseError } from './database-errors';

function pgError(code: string, message = 'boom'): Error {
  return Object.assign(new Error(message), { code });
}

describe('isTransientDatabaseError', () => {
  it.each([
    ['57P01', 'admin shutdown'],
    ['57014', 'statement timeout'],
    ['08006', 'connection failure'],
    ['53300', 'too many connections'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock'],
    ['ECONNREFUSED', 'refused socket'],
    ['42501', 'insufficient privilege: the roles need fixing, not the entries'],
  ])('treats %s (%s) as transient', (code) => {
    expect(isTransientDatabaseError(pgError(code))).toBe(true);
  });

  it.each([
    ['22001', 'value too long'],
    ['22P02', 'invalid text representation'],
    ['23502', 'not-null violation'],
    ['42P01', 'undefined table'],
  ])('treats %s (%s) as permanent', (code) => {
    expect(isTransientDatabaseError(pgError(code))).toBe(false);
  });

  it('looks through a TypeORM QueryFailedError to its driver error', () => {
    const wrapped = Object.assign(new Error('query failed'), { driverError: pgError('57P01') });
    expect(isTransientDatabaseError(wrapped)).toBe(true);
  });

  it('treats COPY refused under row-level security (a writer role without BYPASSRLS) as transient', () => {
    const error = Object.assign(new Error('COPY FROM not supported with row-level security'), {
      code: '0A000',
    });
    expect(isTransientDatabaseError(error)).toBe(true);
    expect(isTransientDatabaseError(Object.assign(new Error('some other feature'), { code: '0A000' }))).toBe(
      false,
    );
  });

  it('recognises a dropped connection by its message', () => {
    expect(isTransientDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientDatabaseError('not an error')).toBe(false);
  });
});
