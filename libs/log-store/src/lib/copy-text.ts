/**
 * PostgreSQL COPY text format: one line per row, columns separated by tabs, NULL as \N, and
 * backslash, newline, carriage return and tab escaped. Everything else passes through as is.
 */
const SPECIAL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return SPECIAL.test(value) ? value.replace(SPECIAL, (c) => ESCAPES[c]) : value;
}
