import { parseJsonBody, parseNdjsonBody, submittedEntriesOf } from './body-parsers';
import { RequestError } from './request-errors';

/** Over three of the 32 KB pieces a large array is parsed in, with what the cutting must see past. */
function largeArrayText(): string {
  const entries = Array.from({ length: 700 }, (_, i) => ({
    timestamp: '2026-12-02T05:00:00.000Z',
    level: 'info',
    service: 'api',
    message: `entry ${i}: a,b],[{"c" \\ € ${'x'.repeat(i % 50)}`,
    attributes: { i, list: [1, [2, 3]] },
  }));
  return JSON.stringify(entries, null, 1);
}

function thrownBy(action: () => unknown): RequestError {
  try {
    action();
  } catch (error) {
    return error as RequestError;
  }
  throw new Error('nothing was thrown');
}

describe('parseJsonBody', () => {
  it('parses a large array as JSON.parse would and keeps its bytes to be queued as sent', () => {
    const text = largeArrayText();
    const body = Buffer.from(text, 'utf8');
    expect(body.length).toBeGreaterThan(3 * 32 * 1024);
    const parsed = parseJsonBody(body);
    expect(parsed).toEqual(JSON.parse(text));
    expect(submittedEntriesOf(parsed)).toEqual({ jsonArray: body, bodyBytes: body.length });
  });

  it('refuses a large array that is not valid JSON with the message JSON.parse gives for the whole body', () => {
    const text = `${largeArrayText().slice(0, -2)},}]`;
    const whole = thrownBy(() => JSON.parse(text));
    const refused = thrownBy(() => parseJsonBody(Buffer.from(text, 'utf8')));
    expect(refused).toBeInstanceOf(RequestError);
    expect(refused.message).toBe(`body is not valid JSON: ${whole.message}`);
  });

  it('refuses prototype-pollution keys in a large array', () => {
    const text = largeArrayText().replace('"attributes":', '"__proto__":');
    expect(thrownBy(() => parseJsonBody(Buffer.from(text, 'utf8'))).message).toMatch(
      /^body is not valid JSON/,
    );
  });

  it('refuses invalid UTF-8 and an empty body', () => {
    expect(thrownBy(() => parseJsonBody(Buffer.from([0x5b, 0xff, 0x5d]))).message).toBe(
      'body is not valid UTF-8',
    );
    expect(thrownBy(() => parseJsonBody(Buffer.from(' \n'))).message).toMatch(/^body is empty/);
  });
});

describe('parseNdjsonBody', () => {
  it('reads each line on its own, naming a bad line by its number', () => {
    const lines = parseNdjsonBody(Buffer.from('{"a":"€"}\r\n\n  {"b":2}  \n'));
    expect(lines.values).toEqual([{ a: '€' }, { b: 2 }]);
    expect(lines.texts).toEqual(['{"a":"€"}', '{"b":2}']);
    const refused = thrownBy(() => parseNdjsonBody(Buffer.from('{"a":1}\n\n{broken\n')));
    expect(refused.details).toEqual({
      errors: [expect.objectContaining({ index: 1, line: 3, field: '(root)' })],
    });
  });
});
