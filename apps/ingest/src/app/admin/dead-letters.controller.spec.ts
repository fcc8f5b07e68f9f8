import { RequestError } from '../http/request-errors';
import { selectorOf } from './dead-letters.controller';

describe('selectorOf (the dead letters a replay or purge names)', () => {
  it('takes ids (one or a list), a reason, or all', () => {
    expect(selectorOf({ ids: ['1764460800000-0', '1764460800000-1'] })).toEqual({
      ids: ['1764460800000-0', '1764460800000-1'],
    });
    expect(selectorOf({ ids: '1764460800000-0' })).toEqual({ ids: ['1764460800000-0'] });
    // Sharded layouts qualify ids by their shard.
    expect(selectorOf({ ids: ['s2:1764460800000-0'] })).toEqual({ ids: ['s2:1764460800000-0'] });
    expect(selectorOf({ reason: 'undecodable' })).toEqual({ reason: 'undecodable' });
    expect(selectorOf({ all: true })).toEqual({ all: true });
    expect(selectorOf({ all: 'true' })).toEqual({ all: true });
  });

  it.each([
    [{}, /exactly one of ids, reason or all/],
    [{ ids: ['1-0'], all: true }, /exactly one/],
    [{ ids: [] }, /non-empty list/],
    [{ ids: ['nope'] }, /stream ids/],
    [{ ids: ['s1-1764460800000-0'] }, /stream ids/],
    [{ reason: '' }, /non-empty string/],
    [{ all: false }, /all must be true/],
  ])('answers 400 for %j', (input, message) => {
    expect(() => selectorOf(input)).toThrow(message);
    try {
      selectorOf(input);
    } catch (error) {
      expect(error).toBeInstanceOf(RequestError);
      expect((error as RequestError).statusCode).toBe(400);
    }
  });
});
