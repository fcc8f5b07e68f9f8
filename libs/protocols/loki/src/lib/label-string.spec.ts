import { formatLabels, parseLabelString } from './label-string';

function parse(text: string) {
  return parseLabelString(text, 15);
}

describe('parseLabelString (Prometheus/LogQL stream selector, strictly)', () => {
  it.each([
    ['{foo="bar"}', [['foo', 'bar']]],
    // The label strings of Loki's own push tests and of Promtail's batches.
    [
      '{job="foo", foo="bar"}',
      [
        ['job', 'foo'],
        ['foo', 'bar'],
      ],
    ],
    [
      '{level="info",job="winston"}',
      [
        ['level', 'info'],
        ['job', 'winston'],
      ],
    ],
    [
      '  { a = "1" ,b="2" }  ',
      [
        ['a', '1'],
        ['b', '2'],
      ],
    ],
    ['{}', []],
    [
      '{_under="x", A9="y"}',
      [
        ['_under', 'x'],
        ['A9', 'y'],
      ],
    ],
    ['{raw=`C:\\path\\"q"`}', [['raw', 'C:\\path\\"q"']]],
  ])('reads %s', (text, labels) => {
    expect(parse(text)).toEqual({ ok: true, labels });
  });

  it.each([
    ['{foo="\\"bar\\""}', '"bar"'],
    ['{foo="a\\\\b"}', 'a\\b'],
    ['{foo="tab\\there\\nnew"}', 'tab\there\nnew'],
    ['{foo="\\x41\\101"}', 'AA'],
    ['{foo="\\xc3\\xa9t\\u00e9 \\U0001F600"}', 'été 😀'],
    ['{foo="\\a\\b\\f\\r\\v"}', '\u0007\b\f\r\v'],
    ['{foo="ünïcödé"}', 'ünïcödé'],
  ])('decodes the Go escapes of %s', (text, value) => {
    expect(parse(text)).toEqual({ ok: true, labels: [['foo', value]] });
  });

  it.each([
    ['', 'expected "{"'],
    ['foo="bar"', 'expected "{"'],
    ['{foo="bar"', 'expected "," or "}"'],
    ['{foo="bar",}', 'expected a label name'],
    ['{foo=bar}', 'expected a quoted label value'],
    ["{foo='bar'}", 'expected a quoted label value'],
    ['{foo!="bar"}', 'expected "=" after label name "foo"'],
    ['{foo=~"bar"}', 'only "=" is allowed'],
    ['{9foo="bar"}', 'expected a label name'],
    ['{foo.bar="x"}', 'expected "=" after label name "foo"'],
    ['{foo="bar"} extra', 'unexpected text after "}"'],
    ['{foo="bar" baz="x"}', 'expected "," or "}"'],
    ['{foo="unterminated}', 'unterminated quoted label value'],
    ['{foo="trailing\\', 'unterminated quoted label value'],
    ['{foo="a\\qb"}', 'unknown escape sequence "\\q"'],
    ['{foo="it\\\'s"}', 'unknown escape sequence'],
    ['{foo="\\x4"}', 'escape needs 2 hexadecimal digits'],
    ['{foo="\\xff"}', 'escaped bytes are not valid UTF-8'],
    ['{foo="\\400"}', 'octal escape value > 255'],
    ['{foo="\\12"}', 'octal escape needs three digits'],
    ['{foo="\\ud800"}', 'not a valid Unicode code point'],
    ['{foo="\\U00110000"}', 'not a valid Unicode code point'],
    ['{foo="line\nbreak"}', 'newline in a quoted label value'],
    ['{foo=`unterminated}', 'unterminated raw string'],
  ])('refuses %j', (text, problem) => {
    const result = parse(text);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problem).toContain(problem);
  });

  it('stops after the label limit instead of reading a huge label set to its end', () => {
    const text = `{${Array.from({ length: 10_000 }, (_, i) => `l${i}="v"`).join(',')}}`;
    const result = parseLabelString(text, 15);
    expect(result).toEqual({
      ok: false,
      problem: expect.stringMatching(/^more than 15 labels at position \d+$/),
    });
  });

  it('names the position of the problem', () => {
    expect(parse('{foo="bar", 1="x"}')).toEqual({
      ok: false,
      problem: 'expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) at position 12',
    });
  });

  it('renders labels as Loki names a stream, and the rendering parses back', () => {
    const labels = [
      ['job', 'api'],
      ['msg', 'say "hi"\n'],
    ] as const;
    const text = formatLabels(labels);
    expect(text).toBe('{job="api", msg="say \\"hi\\"\\n"}');
    expect(parse(text)).toEqual({ ok: true, labels });
  });
});
