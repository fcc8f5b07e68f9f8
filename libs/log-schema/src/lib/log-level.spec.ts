import { LOG_LEVELS, isLogLevel, levelRank } from './log-level';

describe('log levels', () => {
  it('ranks trace lowest and fatal highest, in declaration order', () => {
    expect(LOG_LEVELS.map(levelRank)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(levelRank('trace')).toBe(0);
    expect(levelRank('warn')).toBeGreaterThan(levelRank('info'));
    expect(levelRank('fatal')).toBe(5);
  });

  it('recognises exactly the six lower-case level names', () => {
    expect(LOG_LEVELS.every(isLogLevel)).toBe(true);
    for (const value of ['INFO', 'warning', '', 'toString', '__proto__', 2, null, undefined]) {
      expect(isLogLevel(value)).toBe(false);
    }
  });

  it('throws on a value that is not a level instead of ranking it', () => {
    expect(() => levelRank('verbose' as never)).toThrow(RangeError);
  });
});
