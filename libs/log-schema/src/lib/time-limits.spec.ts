import { validateLogBatch, validateLogEntry } from './log-entry.validation';
import { formatDuration } from './time-limits';

const RECEIVED_AT = Date.UTC(2026, 10, 29, 12, 0, 0, 0);
const DAY = 86_400_000;
const HOUR = 3_600_000;
const context = {
  receivedAtMs: RECEIVED_AT,
  tenant: 'acme',
  timeLimits: { maxAgeMs: 30 * DAY, maxFutureMs: HOUR },
};

function base(timestamp?: string | number): Record<string, unknown> {
  return {
    level: 'info',
    service: 'checkout',
    message: 'order placed',
    ...(timestamp === undefined ? {} : { timestamp }),
  };
}

describe('time limits on entries', () => {
  it('accepts times within the limits, both bounds included, and an entry without a time', () => {
    for (const ts of [RECEIVED_AT - 30 * DAY, RECEIVED_AT, RECEIVED_AT + HOUR, undefined]) {
      expect(validateLogEntry(base(ts), context).ok).toBe(true);
    }
  });

  it('refuses a time older than ENTRY_MAX_AGE, naming the limit and the oldest accepted time', () => {
    expect(validateLogEntry(base('2026-01-01T00:00:00Z'), context)).toEqual({
      ok: false,
      errors: [
        {
          field: 'timestamp',
          message:
            '2026-01-01T00:00:00.000Z is older than the maximum age of 30d (ENTRY_MAX_AGE): entries before 2026-10-30T12:00:00.000Z are refused',
        },
      ],
    });
  });

  it('refuses a time further ahead than ENTRY_MAX_FUTURE, naming the grace', () => {
    expect(validateLogEntry(base(RECEIVED_AT + HOUR + 1), context)).toEqual({
      ok: false,
      errors: [
        {
          field: 'timestamp',
          message:
            '2026-11-29T13:00:00.001Z is further ahead than the grace of 1h (ENTRY_MAX_FUTURE): entries after 2026-11-29T13:00:00.000Z are refused',
        },
      ],
    });
  });

  it('reports each entry of a batch outside the limits at its index, and nothing is accepted', () => {
    const result = validateLogBatch([base(RECEIVED_AT), base(0), base(RECEIVED_AT + DAY)], context);
    expect(result.ok).toBe(false);
    expect(
      !result.ok && result.errors.map((e) => [e.index, e.field, /ENTRY_MAX_\w+/.exec(e.message)?.[0]]),
    ).toEqual([
      [1, 'timestamp', 'ENTRY_MAX_AGE'],
      [2, 'timestamp', 'ENTRY_MAX_FUTURE'],
    ]);
  });

  it('applies no bound that is 0, and none without limits in the context', () => {
    expect(validateLogEntry(base(0), { ...context, timeLimits: { maxAgeMs: 0, maxFutureMs: 0 } }).ok).toBe(
      true,
    );
    expect(
      validateLogEntry(base('9999-12-31T23:59:59Z'), { receivedAtMs: RECEIVED_AT, tenant: 'acme' }).ok,
    ).toBe(true);
  });

  it('throws on limits that are not non-negative integers (a configuration bug)', () => {
    expect(() =>
      validateLogEntry(base(), { ...context, timeLimits: { maxAgeMs: -1, maxFutureMs: 0 } }),
    ).toThrow(RangeError);
  });

  it('formats durations in the largest unit that divides them', () => {
    expect([30 * DAY, HOUR, 90 * 60_000, 1500].map(formatDuration)).toEqual(['30d', '1h', '90m', '1500ms']);
  });
});
