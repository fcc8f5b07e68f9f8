import fc from 'fast-check';
import {
  BODY_TEXT_PIECE_BYTES,
  parseJsonArrayInPieces,
  parseLargeJsonArray,
  ndjsonTexts,
  utf8Lines,
} from './large-body-text';

/** What JSON.parse of the whole text answers: the value, or that it threw. */
function wholeParse(text: string): { value: unknown } | { threw: true } {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { threw: true };
  }
}

const pieces = (text: string, pieceBytes: number, mayHoldKeys = false) =>
  parseJsonArrayInPieces(Buffer.from(text, 'utf8'), mayHoldKeys, pieceBytes);

// Strings that exercise the scan: quotes, backslashes, the structural characters, multi-byte characters.
const trickyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('a,b', '[', ']', '{', '}', '},{', '\\', '"', '\\"', '€,', '𝄞]', '\\u0022'),
);
const element = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    trickyString,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(trickyString, tie('value'), { maxKeys: 4 }),
  ),
})).value;
const layout = fc.constantFrom<undefined | number | string>(undefined, 0, 2, '\t', ' \r\n ');

describe('parseJsonArrayInPieces', () => {
  it('gives what JSON.parse of the whole body gives, for any non-empty array cut into pieces of any size', () => {
    fc.assert(
      fc.property(
        fc.array(element, { minLength: 1, maxLength: 12 }),
        layout,
        fc.integer({ min: 0, max: 40 }),
        (values, space, pieceBytes) => {
          const text = JSON.stringify(values, null, space as never);
          expect(pieces(text, pieceBytes)).toEqual(JSON.parse(text));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never answers for a body the whole parse refuses or reads differently: undefined lets that parse decide', () => {
    // Valid arrays with one character deleted, replaced or inserted: mostly invalid JSON, some still valid.
    const edited = fc
      .tuple(
        fc.array(element, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.constantFrom('', ',', ']', '[', '"', '\\', ' ', '}', '1'),
      )
      .map(([values, at, insert]) => {
        const text = JSON.stringify(values);
        const i = at % text.length;
        return text.slice(0, i) + insert + text.slice(i + (at % 2));
      });
    fc.assert(
      fc.property(edited, fc.integer({ min: 0, max: 16 }), (text, pieceBytes) => {
        // An edit may split a surrogate pair; the body is that text's UTF-8, as a client would send it.
        const body = Buffer.from(text, 'utf8');
        const answer = parseJsonArrayInPieces(body, false, pieceBytes);
        if (answer === undefined) return;
        expect(wholeParse(body.toString('utf8'))).toEqual({ value: answer });
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['an empty element hidden at a cut', `[${' '.repeat(40)},1]`],
    ['a trailing comma', '[1,2,3,]'],
    ['text after the array', '[1,2] x'],
    ['a second array', '[1][2]'],
    ['an object, not an array', '{"a":[1,2,3]}'],
    ['an unclosed array', '[1,2,[3'],
    ['mismatched brackets', '[1,{"a":2],3}'],
    ['an array closed by a brace', '["a,b"}'],
    ['an empty array', `[${' '.repeat(40)}]`],
    ['whitespace only', '   '],
  ])('leaves %s to the whole parse', (_what, text) => {
    expect(pieces(text, 1)).toBeUndefined();
  });

  it('cuts only at top-level commas, whatever commas strings and nested values hold', () => {
    const values = [{ m: 'a,b],[c', n: [1, 2, { x: '",' }] }, 'x\\",y', [[1, 2], [3]], '€,𝄞'];
    const text = JSON.stringify(values);
    for (let pieceBytes = 0; pieceBytes <= text.length; pieceBytes++)
      expect(pieces(text, pieceBytes)).toEqual(values);
  });

  it('checks a guessed cut (`},{`) by its piece: one inside a string or a nested value is passed over', () => {
    const values = [
      { m: 'x', list: [{ a: 1 }, { b: 2 }] },
      { m: 'an entry that says },{ and "},{"' },
      { m: 'y', nested: { deeper: [{}, {}, { c: '},{' }] } },
      { m: 'z' },
      'not an object',
      { m: 'last' },
    ];
    const text = JSON.stringify(values);
    for (let pieceBytes = 0; pieceBytes <= text.length; pieceBytes++)
      expect(pieces(text, pieceBytes)).toEqual(values);
  });

  it('refuses prototype-pollution keys in any piece (undefined: the whole parse then throws)', () => {
    const text = `[{"a":1},{"b":2},{"__proto__":{"x":1}},{"c":3}]`;
    expect(pieces(text, 4, true)).toBeUndefined();
    expect(pieces(text, 4, false)).toHaveLength(4);
  });
});

describe('parseLargeJsonArray', () => {
  it('cuts only bodies over two pieces, leaving smaller ones to the whole parse', () => {
    const values = Array.from({ length: 2000 }, (_, i) => ({ i, m: 'x'.repeat(40) }));
    const large = Buffer.from(JSON.stringify(values));
    expect(large.length).toBeGreaterThan(2 * BODY_TEXT_PIECE_BYTES);
    expect(parseLargeJsonArray(large, false)).toEqual(values);
    expect(parseLargeJsonArray(Buffer.from(JSON.stringify(values.slice(0, 10))), false)).toBeUndefined();
  });
});

describe('utf8Lines', () => {
  it("gives the lines of Buffer#toString('utf8').split('\\n'), each decoded on its own", () => {
    const text = fc.array(
      fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('\n', '\r\n', '€', '𝄞')),
      {
        maxLength: 20,
      },
    );
    fc.assert(
      fc.property(text, (parts) => {
        const body = Buffer.from(parts.join(''), 'utf8');
        const lineEnds: number[] = [];
        const lines = utf8Lines(body, lineEnds);
        expect(lines).toEqual(body.toString('utf8').split('\n'));
        // Each line is the bytes from just after the previous line's end to its own.
        expect(lineEnds).toHaveLength(lines.length);
        lines.forEach((line, i) => {
          expect(body.toString('utf8', i === 0 ? 0 : lineEnds[i - 1] + 1, lineEnds[i])).toBe(line);
        });
        expect(lineEnds.at(-1)).toBe(body.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe('ndjsonTexts', () => {
  it('gives each non-blank line trimmed with its number, and where they end only when they stand as sent', () => {
    const line = fc.oneof(
      fc.constantFrom('', ' ', '\t', '\r'),
      fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 6 })
        .map((text) => `{"m":${JSON.stringify(text)}}`),
      fc.constantFrom(' {"a":1}', '{"b":2}\r', '{"c":"€ 𝄞"}'),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        const body = Buffer.from(lines.join('\n'), 'utf8');
        const { texts, lineNumbers, ends } = ndjsonTexts(body);
        const split = body.toString('utf8').split('\n');
        const kept = split.flatMap((text, i) =>
          text.trim() === '' ? [] : [{ text: text.trim(), line: i + 1 }],
        );
        expect(texts).toEqual(kept.map((k) => k.text));
        expect(lineNumbers).toEqual(kept.map((k) => k.line));
        // As sent: no text trimmed and none after a blank line, i.e. the texts are the first lines.
        const lastText = kept.length === 0 ? 0 : kept[kept.length - 1].line;
        const asSent = split.slice(0, lastText).every((text) => text !== '' && text === text.trim());
        expect(ends !== undefined).toBe(asSent);
        if (ends === undefined) return;
        texts.forEach((text, i) => {
          expect(body.toString('utf8', i === 0 ? 0 : ends[i - 1] + 1, ends[i])).toBe(text);
        });
        expect(body.toString('utf8', texts.length === 0 ? 0 : ends[texts.length - 1]).trim()).toBe('');
      }),
      { numRuns: 500 },
    );
  });
});
