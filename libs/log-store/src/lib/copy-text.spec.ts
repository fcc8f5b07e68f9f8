import { copyField, copyRow } from './copy-text';

describe('COPY text encoding', () => {
  it('writes NULL as \\N and plain text unchanged', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField('plain text, with "quotes" and ünïcödé 🐢')).toBe(
      'plain text, with "quotes" and ünïcödé 🐢',
    );
  });

  it('escapes backslash, newline, carriage return and tab', () => {
    expect(copyField('a\\b\nc\rd\te')).toBe('a\\\\b\\nc\\rd\\te');
    expect(copyField('\\N')).toBe('\\\\N');
  });

  it('joins a row with tabs and ends it with a newline', () => {
    expect(copyRow(['a', null, 'b\tc'])).toBe('a\t\\N\tb\\tc\n');
  });
});
