import { classifyQueryError, QueryTimeoutError, QueryUnavailableError } from './log-query.errors';

describe('classifyQueryError', () => {
  it('turns a statement timeout into QueryTimeoutError', () => {
    expect(
      classifyQueryError({ code: '57014', message: 'canceling statement due to statement timeout' }, 500),
    ).toEqual(new QueryTimeoutError(500));
  });

  it("turns a read replica's recovery conflict into QueryUnavailableError, which the caller may retry", () => {
    const conflict = { code: '40001', message: 'canceling statement due to conflict with recovery' };
    const classified = classifyQueryError(conflict, 500);
    expect(classified).toBeInstanceOf(QueryUnavailableError);
    expect((classified as Error).message).toContain('conflict with recovery');
  });

  it('passes other SQLSTATEs of class 40 and anything unknown through', () => {
    const deadlock = { code: '40P01', message: 'deadlock detected' };
    expect(classifyQueryError(deadlock, 500)).toBe(deadlock);
    const bug = new TypeError('x is undefined');
    expect(classifyQueryError(bug, 500)).toBe(bug);
  });
});
