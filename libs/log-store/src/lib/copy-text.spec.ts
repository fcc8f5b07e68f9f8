import { copyField } from './copy-text';

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
});
