// Text out of large request bodies without one string of the whole body.
//
// V8 puts a string over 128 KiB (or half that in two-byte form) into its large-object space. A
// 1,000-entry body (~317 KB) decoded with Buffer#toString is such a string; JSON.parse of it allocates
// the entries while it runs, so a scavenge nearly always finds the string still alive and promotes it to
// the old generation: ~320 KB of old generation per request, which is what made ingest run a
// mark-compact every ~16 requests of 1,000 entries (`--trace-gc` of tools/bench/ingest-alone.mjs
// --batch 1000). Decoding and parsing the body in pieces of a few dozen KB keeps every string young.
import { parseJsonRefusingPrototypeKeys } from './prototype-safe-json';

/**
 * Bytes of body text per piece. The pieces stay regular heap objects: 32 KB of UTF-8 is at most 32 Ki
 * characters, 64 KiB even as a two-byte string, half of V8's 128 KiB large-object threshold.
 */
export const BODY_TEXT_PIECE_BYTES = 32 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const NEWLINE = 0x0a;

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * The elements of a JSON array body, parsed piece by piece: the body is cut at top-level commas into
 * pieces of about `pieceBytes`, each parsed as an array of its own (parseJsonRefusingPrototypeKeys), and
 * the elements are returned in order. `body` must be valid UTF-8 (a comma never falls inside a
 * multi-byte character, so every piece decodes as the whole body would).
 *
 * Undefined when this way cannot vouch for the result: the body is not one top-level array, a piece does
 * not parse, or a piece holds no element (which would hide an empty element such as `[ , 1]`). The caller
 * then parses the whole text, which gives the same array or the error JSON.parse names for the body as
 * a whole. Every piece being a valid, non-empty list of values, joined by the commas it was cut at and
 * closed by the brackets the scan found, is what makes the whole body a valid array of those values.
 */
export function parseJsonArrayInPieces(
  body: Buffer,
  mayHoldKeys: boolean,
  pieceBytes = BODY_TEXT_PIECE_BYTES,
): unknown[] | undefined {
  const length = body.length;
  let i = 0;
  while (i < length && isJsonWhitespace(body[i])) i++;
  if (i === length || body[i] !== OPEN_BRACKET) return undefined;
  const elements: unknown[] = [];
  const addPiece = (start: number, end: number): boolean => {
    let piece: unknown;
    try {
      piece = parseJsonRefusingPrototypeKeys(`[${body.toString('utf8', start, end)}]`, mayHoldKeys);
    } catch {
      return false;
    }
    const values = piece as unknown[];
    if (values.length === 0) return false;
    for (let k = 0; k < values.length; k++) elements.push(values[k]);
    return true;
  };
  let pieceStart = i + 1;
  let depth = 1;
  let inString = false;
  // Brackets and braces are counted, not matched: a mismatch ends the array early or never, which the
  // checks after the loop refuse, or lands inside a piece, which its JSON.parse refuses.
  for (i = pieceStart; i < length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      if (--depth === 0) break;
    } else if (byte === COMMA && depth === 1 && i - pieceStart >= pieceBytes) {
      if (!addPiece(pieceStart, i)) return undefined;
      pieceStart = i + 1;
    }
  }
  // The array's own closing bracket: inside a piece JSON.parse checks that each bracket closes its own
  // kind, but nothing else sees this one.
  if (depth !== 0 || body[i] !== CLOSE_BRACKET) return undefined;
  for (let j = i + 1; j < length; j++) if (!isJsonWhitespace(body[j])) return undefined;
  // A body of `[` and whitespace only is `[]`, which the whole parse gives without this way's help.
  if (!addPiece(pieceStart, i)) return undefined;
  return elements;
}

/**
 * parseJsonArrayInPieces for a body over two pieces, the size where a whole-body string starts to be a
 * large object (see above); undefined for a smaller body, which the caller parses whole.
 */
export function parseLargeJsonArray(body: Buffer, mayHoldKeys: boolean): unknown[] | undefined {
  return body.length > 2 * BODY_TEXT_PIECE_BYTES ? parseJsonArrayInPieces(body, mayHoldKeys) : undefined;
}

/**
 * The body's lines (split at `\n`, as `body.toString('utf8').split('\n')` would give them), each decoded
 * on its own. `body` must be valid UTF-8: `\n` is never part of a multi-byte character, so each line
 * decodes to the same text.
 */
export function utf8Lines(body: Buffer): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const end = body.indexOf(NEWLINE, start);
    if (end === -1) break;
    lines.push(body.toString('utf8', start, end));
    start = end + 1;
  }
  lines.push(body.toString('utf8', start));
  return lines;
}
