// The stream labels of a protobuf push are one string in Prometheus/LogQL selector syntax:
// `{job="api", env="prod"}`. Loki parses it with its LogQL parser (syntax.ParseLabels); this is the same
// grammar, strictly: label names are `[a-zA-Z_][a-zA-Z0-9_]*`, only `=` pairs, values quoted as Go
// strings ("..." with Go escapes, or `...` raw), pairs separated by commas, no trailing comma.

/** One label as sent, in the order sent. */
export type LabelPair = readonly [name: string, value: string];

export type LabelStringParse =
  | { readonly ok: true; readonly labels: LabelPair[] }
  | { readonly ok: false; readonly problem: string };

const NAME_START = /[a-zA-Z_]/;
const NAME_PART = /[a-zA-Z0-9_]/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\u0007',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
};
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Whether `name` is a label name Loki accepts in a stream selector. */
export function isLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

class LabelSyntaxError extends Error {}

class LabelStringReader {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly maxLabels: number,
  ) {}

  read(): LabelPair[] {
    const labels: LabelPair[] = [];
    this.skipSpace();
    this.expect('{');
    this.skipSpace();
    if (this.peek() === '}') {
      this.pos++;
    } else {
      for (;;) {
        if (labels.length === this.maxLabels) {
          // Stop reading: a huge label set is refused without parsing all of it.
          this.fail(`more than ${this.maxLabels} labels`);
        }
        labels.push(this.pair());
        this.skipSpace();
        const next = this.peek();
        this.pos++;
        if (next === '}') break;
        if (next !== ',') this.fail(`expected "," or "}"`, this.pos - 1);
        this.skipSpace();
      }
    }
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('unexpected text after "}"');
    return labels;
  }

  private pair(): LabelPair {
    const name = this.name();
    this.skipSpace();
    if (this.peek() !== '=') this.fail(`expected "=" after label name "${name}"`);
    this.pos++;
    if (this.peek() === '~') this.fail('only "=" is allowed in stream labels (found "=~")');
    this.skipSpace();
    return [name, this.value()];
  }

  private name(): string {
    const start = this.pos;
    if (!NAME_START.test(this.peek())) this.fail('expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)');
    this.pos++;
    while (this.pos < this.text.length && NAME_PART.test(this.text[this.pos])) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private value(): string {
    const quote = this.peek();
    if (quote === '`') {
      const end = this.text.indexOf('`', this.pos + 1);
      if (end < 0) this.fail('unterminated raw string');
      const raw = this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      return raw;
    }
    if (quote !== '"') this.fail('expected a quoted label value');
    const start = this.pos + 1;
    // The common case, no escapes: one slice.
    for (let i = start; i < this.text.length; i++) {
      const ch = this.text[i];
      if (ch === '"') {
        this.pos = i + 1;
        return this.text.slice(start, i);
      }
      if (ch === '\\') return this.escapedValue(start);
      if (ch === '\n') this.fail('newline in a quoted label value', i);
    }
    this.fail('unterminated quoted label value', start - 1);
  }

  /** A Go interpreted string literal from `start` (after the opening quote), escapes decoded. */
  private escapedValue(start: number): string {
    let out = '';
    // \x and octal escapes are bytes: consecutive ones must form valid UTF-8 together.
    let bytes: number[] = [];
    const flushBytes = (at: number): void => {
      if (bytes.length === 0) return;
      try {
        out += STRICT_UTF8.decode(Uint8Array.from(bytes));
      } catch {
        this.fail('escaped bytes are not valid UTF-8', at);
      }
      bytes = [];
    };
    let i = start;
    while (i < this.text.length) {
      const ch = this.text[i];
      if (ch === '"') {
        flushBytes(i);
        this.pos = i + 1;
        return out;
      }
      if (ch === '\n') this.fail('newline in a quoted label value', i);
      if (ch !== '\\') {
        flushBytes(i);
        out += ch;
        i++;
        continue;
      }
      const kind = this.text[i + 1];
      if (kind === undefined) break;
      if (SIMPLE_ESCAPES[kind] !== undefined) {
        flushBytes(i);
        out += SIMPLE_ESCAPES[kind];
        i += 2;
      } else if (kind === 'x') {
        bytes.push(this.hex(i + 2, 2, i));
        i += 4;
      } else if (kind >= '0' && kind <= '7') {
        const digits = this.text.slice(i + 1, i + 4);
        if (!/^[0-7]{3}$/.test(digits)) this.fail('octal escape needs three digits', i);
        const value = parseInt(digits, 8);
        if (value > 255) this.fail('octal escape value > 255', i);
        bytes.push(value);
        i += 4;
      } else if (kind === 'u' || kind === 'U') {
        flushBytes(i);
        const width = kind === 'u' ? 4 : 8;
        const codePoint = this.hex(i + 2, width, i);
        if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
          this.fail(`escape \\${kind} is not a valid Unicode code point`, i);
        }
        out += String.fromCodePoint(codePoint);
        i += 2 + width;
      } else {
        this.fail(`unknown escape sequence "\\${kind}"`, i);
      }
    }
    this.fail('unterminated quoted label value', start - 1);
  }

  private hex(from: number, width: number, escapeAt: number): number {
    const digits = this.text.slice(from, from + width);
    if (digits.length !== width || !/^[0-9a-fA-F]+$/.test(digits)) {
      this.fail(`escape needs ${width} hexadecimal digits`, escapeAt);
    }
    return parseInt(digits, 16);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private peek(): string {
    return this.text[this.pos] ?? '';
  }

  private expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected "${ch}"`);
    this.pos++;
  }

  private fail(problem: string, at = this.pos): never {
    throw new LabelSyntaxError(`${problem} at position ${at}`);
  }
}

/**
 * Parses a Prometheus-style label string strictly. Stops with a problem after `maxLabels` labels, so a
 * huge label set costs no more than reading that many.
 */
export function parseLabelString(text: string, maxLabels: number): LabelStringParse {
  try {
    return { ok: true, labels: new LabelStringReader(text, maxLabels).read() };
  } catch (error) {
    if (error instanceof LabelSyntaxError) return { ok: false, problem: error.message };
    throw error;
  }
}

/** Renders labels the way Loki names a stream in its messages: `{a="b", c="d"}`. */
export function formatLabels(labels: readonly LabelPair[]): string {
  return `{${labels.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(', ')}}`;
}
