import { formatSpan, formatTime, fromLocalInput, toLocalInput } from './format';

describe('time formatting', () => {
  it('shows UTC with a Z and local time without one', () => {
    expect(formatTime('2026-11-26T10:00:00.123Z', true)).toBe('2026-11-26 10:00:00.123Z');
    expect(formatTime('2026-11-26T10:00:00.123Z', false)).toMatch(/^2026-11-2\d \d\d:\d\d:00\.123$/);
  });

  it('round-trips datetime-local values in either zone', () => {
    const ms = Date.UTC(2026, 10, 26, 10, 30);
    for (const utc of [true, false]) expect(fromLocalInput(toLocalInput(ms, utc), utc)).toBe(ms);
    expect(fromLocalInput('', true)).toBeNull();
  });

  it('says spans in words', () => {
    expect([30000, 900000, 3600000, 7 * 86400000].map(formatSpan)).toEqual(['30 s', '15 min', '1 h', '7 d']);
  });
});
