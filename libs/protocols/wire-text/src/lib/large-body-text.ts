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
 * Why the result is the body's: JSON's grammar makes `[` p1 `,` p2 `,` … pN `]` a valid array of the
 * elements of p1 … pN, in order, whenever each `[pi]` is a valid, non-empty array (an empty one would
 * hide an empty element such as `[ , 1]`). So a cut is checked by the parse of the piece before it, not
 * by where it was found: a comma inside a string or a nested value leaves that piece unclosed, and its
 * parse fails.
 *
 * Where to cut: first a guess, the next `},{` past `pieceBytes` (between two entries of a compact array
 * of objects, which is what shippers send), found by Buffer#indexOf; when there is none, or its piece
 * does not parse, a scan of the bytes from the piece's start (quotes, escapes, brackets) for the first
 * top-level comma past `pieceBytes`. The guess spares most bodies that byte-by-byte scan, which was 11% of
 * ingest's CPU under 1,000-entry batches (`perf` of tools/bench/ingest-alone.mjs --batch 1000,
 * 2026-12-02).
 *
 * Undefined when this way cannot vouch for the result: the body is not one array (first and last
 * non-whitespace bytes `[` and `]`), or a piece does not parse or holds no element. The caller then
 * parses the whole text, which gives the same array or the error JSON.parse names for the whole body.
 */
export function parseJsonArrayInPieces(
  body: Buffer,
  mayHoldKeys: boolean,
  pieceBytes = BODY_TEXT_PIECE_BYTES,
): unknown[] | undefined {
  let first = 0;
  while (first < body.length && isJsonWhitespace(body[first])) first++;
  let last = body.length - 1;
  while (last > first && isJsonWhitespace(body[last])) last--;
  if (last <= first || body[first] !== OPEN_BRACKET || body[last] !== CLOSE_BRACKET) return undefined;
  const elements: unknown[] = [];
  // Always just after the array's `[` or after a comma a parsed piece ended at: a top-level position.
  let pieceStart = first + 1;
  while (last - pieceStart > pieceBytes) {
    const guess = body.indexOf(ELEMENT_BOUNDARY, pieceStart + pieceBytes);
    let cut = guess === -1 || guess >= last ? -1 : guess + 1;
    if (cut === -1 || !addPiece(body, pieceStart, cut, mayHoldKeys, elements)) {
      cut = topLevelCommaAfter(body, pieceStart, pieceBytes, last);
      if (cut === -1) break;
      if (!addPiece(body, pieceStart, cut, mayHoldKeys, elements)) return undefined;
    }
    pieceStart = cut + 1;
  }
  return addPiece(body, pieceStart, last, mayHoldKeys, elements) ? elements : undefined;
}

/** `},{`: where one object of an array ends and the next begins, when the array is written compactly. */
const ELEMENT_BOUNDARY = Buffer.from('},{');

/**
 * Parses `[` body[start, end) `]` and appends its elements to `elements`; false, appending nothing, when
 * that does not parse or holds no element.
 */
function addPiece(
  body: Buffer,
  start: number,
  end: number,
  mayHoldKeys: boolean,
  elements: unknown[],
): boolean {
  let values: unknown[];
  try {
    values = parseJsonRefusingPrototypeKeys(
      `[${body.toString('utf8', start, end)}]`,
      mayHoldKeys,
    ) as unknown[];
  } catch {
    return false;
  }
  if (values.length === 0) return false;
  for (let k = 0; k < values.length; k++) elements.push(values[k]);
  return true;
}

/**
 * The first comma at the top level of the array at least `pieceBytes` after `start` (a top-level
 * position), scanning quotes, escapes and brackets; -1 when the array ends first (at `last` or, in a
 * malformed body, earlier: the last piece's parse then refuses it). Brackets and braces are counted,
 * not matched: a mismatch lands inside a piece, whose parse refuses it.
 */
function topLevelCommaAfter(body: Buffer, start: number, pieceBytes: number, last: number): number {
  let depth = 1;
  let inString = false;
  for (let i = start; i < last; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      if (--depth === 0) return -1;
    } else if (byte === COMMA && depth === 1 && i - start >= pieceBytes) return i;
  }
  return -1;
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
 * decodes to the same text. `lineEnds` receives where each line ends in `body`: the offset of its `\n`,
 * or `body.length` for the last (found on the way, so ndjsonTexts does not search the body again).
 */
export function utf8Lines(body: Buffer, lineEnds: number[]): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const end = body.indexOf(NEWLINE, start);
    if (end === -1) break;
    lines.push(body.toString('utf8', start, end));
    lineEnds.push(end);
    start = end + 1;
  }
  lines.push(body.toString('utf8', start));
  lineEnds.push(body.length);
  return lines;
}

/** An NDJSON body's entry texts (ndjsonTexts). */
export interface NdjsonTexts {
  /** Each non-blank line, trimmed, in order. */
  texts: string[];
  /** `lineNumbers[i]`: the line `texts[i]` is on, counted from 1 (for naming a line that is not JSON). */
  lineNumbers: number[];
  /**
   * When the texts are the body's lines as they stand (none trimmed, no blank line before the last
   * text): `ends[i]` is where `texts[i]` ends in the body (its `\n`, or the body's end), so text `i` is
   * the bytes from just after `ends[i - 1]` to `ends[i]`; undefined otherwise.
   */
  ends: number[] | undefined;
}

/**
 * The entry texts of an NDJSON body (`body` valid UTF-8): each non-blank line, trimmed, with its line
 * number, and where they end when they are the body's lines as they stand. Ingest's body parser and the
 * bench's node:http floor both read NDJSON this way, so both queue the same bodies from their bytes.
 */
export function ndjsonTexts(body: Buffer): NdjsonTexts {
  const ends: number[] = [];
  const lines = utf8Lines(body, ends);
  const texts: string[] = [];
  const lineNumbers: number[] = [];
  let asSent = true;
  let blankBefore = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const text = line.trim();
    if (text === '') {
      blankBefore = true;
      continue;
    }
    // A blank line skipped before a text leaves the texts no longer the body's lines one after another.
    if (text.length !== line.length || blankBefore) asSent = false;
    texts.push(text);
    lineNumbers.push(i + 1);
  }
  return { texts, lineNumbers, ends: asSent ? ends : undefined };
}
