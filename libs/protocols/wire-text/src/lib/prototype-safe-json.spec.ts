import fc from 'fast-check';
import { mayHoldPrototypeKeys, parseJsonRefusingPrototypeKeys } from './prototype-safe-json';

/** What secure-json-parse alone answers: the value, or its error message. */
function secureAnswer(text: string): unknown {
  try {
    return { value: parseJsonRefusingPrototypeKeys(text, true) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function guardedAnswer(text: string): unknown {
  try {
    return { value: parseJsonRefusingPrototypeKeys(text, mayHoldPrototypeKeys(Buffer.from(text))) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('parseJsonRefusingPrototypeKeys', () => {
  it('refuses __proto__ and constructor.prototype keys, however they are spelled', () => {
    for (const text of [
      '{"a":1,"__proto__":{"x":1}}',
      '[{"constructor":{"prototype":{"x":1}}}]',
      '{"\\u005f_proto__":{"x":1}}',
      '{"constr\\u0075ctor":{"prototype":{}}}',
    ]) {
      expect(mayHoldPrototypeKeys(Buffer.from(text))).toBe(true);
      expect(() => parseJsonRefusingPrototypeKeys(text, mayHoldPrototypeKeys(Buffer.from(text)))).toThrow(
        SyntaxError,
      );
    }
  });

  it('answers as secure-json-parse does whenever the search lets plain JSON.parse answer', () => {
    const key = fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'prototype', '_proto', 'request_id', 'x'),
      fc.string({ maxLength: 12 }),
    );
    const json = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string({ maxLength: 8 }),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.array(fc.tuple(key, tie('value')), { maxLength: 3 }),
      ),
    }));
    // Objects are written by hand so that `__proto__` can be an own key of the text.
    const write = (value: unknown): string => {
      if (
        Array.isArray(value) &&
        value.every((item) => Array.isArray(item) && item.length === 2 && typeof item[0] === 'string')
      ) {
        return `{${(value as [string, unknown][]).map(([k, v]) => `${JSON.stringify(k)}:${write(v)}`).join(',')}}`;
      }
      if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
      return JSON.stringify(value);
    };
    fc.assert(
      fc.property(json.value, fc.boolean(), (value, mangle) => {
        const text = mangle ? write(value).slice(0, -1) : write(value);
        expect(guardedAnswer(text)).toEqual(secureAnswer(text));
      }),
      { numRuns: 3_000 },
    );
  });
});
