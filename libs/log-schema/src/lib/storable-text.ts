// What PostgreSQL can store: text and jsonb reject U+0000, and a lone surrogate has no UTF-8 encoding
// (node-pg would silently turn it into U+FFFD in text, and jsonb rejects its \uXXXX escape).

// String.prototype.isWellFormed ships with Node 20, but TypeScript's ES2023 lib (our target) does not
// declare it.
type WellFormedCheck = { isWellFormed(): boolean };

/** Why `text` cannot be stored, or null when it can. */
export function unstorableTextProblem(text: string): string | null {
  if (text.includes('\u0000')) {
    return 'must not contain U+0000 (NUL)';
  }
  if (!(text as unknown as WellFormedCheck).isWellFormed()) {
    return 'must be well-formed UTF-16 (it contains a lone surrogate)';
  }
  return null;
}

export function utf8ByteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Whether `text` is at most `maxBytes` of UTF-8. Skips the encoder when the code-unit count alone decides:
 * a UTF-16 code unit takes 1-3 UTF-8 bytes (a surrogate pair, two units, takes 4).
 */
export function fitsUtf8Bytes(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) {
    return false;
  }
  if (text.length * 3 <= maxBytes) {
    return true;
  }
  return utf8ByteLength(text) <= maxBytes;
}

/** Quotes user-supplied text for an error message, cut short so a huge key cannot bloat the response. */
export function quoteForMessage(text: string, maxLength = 64): string {
  const shown = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  return JSON.stringify(shown);
}

/** Upper bounds of a text field: UTF-16 code units (`maxLength`) and/or UTF-8 bytes (`maxBytes`). */
export interface TextLimits {
  maxLength?: number;
  maxBytes?: number;
}

/** A non-empty string within `limits` that PostgreSQL can store; cheapest checks first. */
export function textProblem(value: unknown, limits: TextLimits): string | null {
  if (typeof value !== 'string') {
    return 'must be a string';
  }
  if (value.length === 0) {
    return 'must not be empty';
  }
  if (limits.maxLength !== undefined && value.length > limits.maxLength) {
    return `must be at most ${limits.maxLength} characters long (got ${value.length})`;
  }
  if (limits.maxBytes !== undefined && !fitsUtf8Bytes(value, limits.maxBytes)) {
    return `must be at most ${limits.maxBytes} bytes of UTF-8 (got ${utf8ByteLength(value)})`;
  }
  return unstorableTextProblem(value);
}
