import fc from 'fast-check';
import { validateLogEntry, validateWithClassValidator } from './log-entry.validation';

const RECEIVED = Date.parse('2026-11-26T12:00:00Z');
// Unknown-field errors for `constructor`/`__proto__` come first in the reference (it has to handle
// them before class-validator sees the object) and in key order in the compiled validator; sorting
// by field makes the comparison about which errors, not their order.
const byField = (errors: { field: string; message: string }[]) =>
  [...errors].sort((a, b) => a.field.localeCompare(b.field));
const compiledErrors = (input: unknown) => {
  const result = validateLogEntry(input, RECEIVED);
  return result.ok ? [] : result.errors;
};

// Values near every rule's edges, so random entries hit both sides of each boundary.
const edgy = fc.oneof(
  fc.constantFrom(
    'trace',
    'info',
    'fatal',
    'INFO',
    'verbose',
    '',
    ' ',
    'a\u0000b',
    '\ud800',
    'x'.repeat(128),
    'x'.repeat(129),
  ),
  fc.constantFrom(
    '2026-11-26T10:00:00Z',
    '2026-11-26T10:00:00',
    '2026-11-26',
    0,
    -1,
    253402300799999,
    253402300800000,
    1.5,
  ),
  fc.constantFrom(
    '0123456789abcdef0123456789abcdef',
    '0123456789ABCDEF',
    '0123456789abcdef',
    'evt-1',
    'bad id',
    '__proto__',
  ),
  fc.constantFrom({}, { a: 1 }, { nested: { deeper: [1, 2, { x: 'y' }] } }, [], null, { k: 'v\u0000' }),
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
const FIELDS = [
  'timestamp',
  'level',
  'service',
  'message',
  'attributes',
  'trace_id',
  'span_id',
  'id',
  'colour',
  'constructor',
];
const entryLike = fc.dictionary(fc.constantFrom(...FIELDS), edgy, { maxKeys: 10 }).map((entry) => {
  // Drop undefined values the way JSON would.
  return JSON.parse(JSON.stringify(entry)) as Record<string, unknown>;
});

describe('the compiled validator', () => {
  it('agrees with class-validator validateSync on every input (same fields, same messages)', () => {
    fc.assert(
      fc.property(fc.oneof(entryLike, fc.jsonValue()), (input) => {
        expect(byField(compiledErrors(input))).toEqual(byField(validateWithClassValidator(input)));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees on entries that are valid', () => {
    const valid = {
      level: 'warn',
      service: 'api',
      message: 'slow',
      attributes: { ms: 1200 },
      trace_id: '0123456789abcdef0123456789abcdef',
    };
    expect(compiledErrors(valid)).toEqual([]);
    expect(validateWithClassValidator(valid)).toEqual([]);
  });

  it('reports a prototype-pollution key as an unknown field, as the reference does', () => {
    const input = JSON.parse('{"level":"info","service":"s","message":"m","__proto__":{"admin":true}}');
    expect(compiledErrors(input)).toEqual([{ field: '__proto__', message: 'unknown field "__proto__"' }]);
    expect(validateWithClassValidator(input)).toEqual(compiledErrors(input));
  });
});
