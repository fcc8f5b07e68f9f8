// How a request's entries are cut into stream values (issue 14): one Redis stream entry per chunk, so
// Redis and the worker pay per chunk rather than per entry. Ingest and the bench's node:http floor both
// call encodeLogChunks and encodeSubmittedChunks, so the floor writes exactly what ingest writes.
import type { BodyFrame, FrameLease } from './body-frames';
import { LogEntry } from './log-entry.types';
import {
  encodeChunkEntry,
  encodeLogChunkPieces,
  LOG_CHUNK_CODEC_VERSION,
  submittedChunkOpening,
} from './stream-codec';

/**
 * Ingest's defaults for CHUNK_MAX_ENTRIES and CHUNK_MAX_BYTES. A JSON array body is queued as sent only
 * when it fits one chunk (submittedFitsChunks), so these are sized for the batches shippers send (up to
 * 1,000 entries of ~1 KB); a chunk of 1 MiB is still a quarter of the worker's READ_MAX_BYTES. Until
 * 2026-12-01 they were 500 entries and 256 KiB: a 1,000-entry request then took two version 3 chunks.
 */
export const DEFAULT_CHUNK_MAX_ENTRIES = 1000;
export const DEFAULT_CHUNK_MAX_BYTES = 1024 * 1024;

/** The most entries and the most bytes (UTF-8, the whole stream value) one chunk may hold. */
export interface ChunkLimits {
  maxEntries: number;
  maxBytes: number;
}

/** `[3,` before a chunk's first entry; each entry then brings its text and one byte (`,` or the closing `]`). */
const CHUNK_OPENING = Buffer.from(`[${LOG_CHUNK_CODEC_VERSION},`);
export const CHUNK_OPENING_BYTES = CHUNK_OPENING.length;
const CHUNK_CLOSING = Buffer.from(']');
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;

/**
 * `entries` (at least one) as version 3 chunks, in order: each holds at most `maxEntries` entries and
 * at most `maxBytes` bytes, except that an entry bigger than `maxBytes` on its own is a chunk of one
 * (the body limit, not the chunk size, bounds an entry). A chunk is closed as soon as the next entry
 * would not fit, so the chunks are as full as the order of the entries allows.
 *
 * Entries of the usual size fill a chunk by count long before its byte bound (1,000 entries of ~300
 * bytes are ~300 KB of the default 1 MiB), so the next `maxEntries` entries are first encoded as one
 * chunk; only when that is too big are the entries measured one by one, for the rest of the request.
 * Both ways cut the same chunks.
 *
 * Each chunk is a Buffer of its UTF-8 text, for handing to Redis (ingest's OTLP, Loki, Elasticsearch and
 * syslog ways in, and `/api/logs` bodies that do not fit one chunk), written from pieces of
 * CHUNK_PIECE_ENTRIES entries (encodeLogChunkPieces), so no string of the chunk's size is ever made: such
 * a string lands in V8's large-object space (see encodeSubmittedChunks for what that cost `/api/logs`).
 * Measured 2026-12-02 against one JSON.stringify per chunk (ingest alone, `ingest-alone.mjs
 * --protocols`, two pairs alternated): 16-24% less ingest CPU per entry for OTLP and Loki, 11-22% for
 * Elasticsearch (BENCHMARKS.md). With a `lease`, the chunks are written into frames from its pool (see
 * body-frames.ts), which the caller gives back once the append that carried them succeeded.
 */
export function encodeLogChunks(
  entries: readonly LogEntry[],
  limits: ChunkLimits,
  lease?: FrameLease,
): Buffer[] {
  const chunks: Buffer[] = [];
  let start = 0;
  while (start < entries.length) {
    const end = Math.min(entries.length, start + limits.maxEntries);
    const pieces = encodeLogChunkPieces(entries, start, end);
    // `[3,`, the pieces, a `,` between two of them and the closing `]`.
    let size = CHUNK_OPENING_BYTES + pieces.length;
    for (const piece of pieces) size += Buffer.byteLength(piece, 'utf8');
    if (end - start > 1 && size > limits.maxBytes) {
      // Entries this size reach the byte bound first; a window per chunk would mostly be encoded twice.
      for (let next = start; next < entries.length; )
        next = pushChunkMeasured(entries, next, limits, chunks, lease);
      break;
    }
    chunks.push(joinedChunk(size, CHUNK_OPENING, pieces, 0, pieces.length, CHUNK_CLOSING, lease));
    start = end;
  }
  return chunks;
}

/**
 * Appends to `chunks` the longest run of entries from `start` that fits `limits` (at least one entry),
 * measuring each entry's encoded size; returns the index after it.
 */
function pushChunkMeasured(
  entries: readonly LogEntry[],
  start: number,
  limits: ChunkLimits,
  chunks: Buffer[],
  lease: FrameLease | undefined,
): number {
  const pending: string[] = [];
  let pendingBytes = CHUNK_OPENING_BYTES;
  let next = start;
  for (; next < entries.length && pending.length < limits.maxEntries; next++) {
    const encoded = encodeChunkEntry(entries[next]);
    const bytes = chunkBytesOf(encoded);
    if (pending.length > 0 && pendingBytes + bytes > limits.maxBytes) break;
    pending.push(encoded);
    pendingBytes += bytes;
  }
  // pendingBytes counts a `,` or the closing `]` after each entry: the chunk's exact size.
  chunks.push(joinedChunk(pendingBytes, CHUNK_OPENING, pending, 0, pending.length, CHUNK_CLOSING, lease));
  return next;
}

/**
 * The UTF-8 bytes one encoded entry adds to a chunk: its text and one `,` or the closing `]` (a chunk
 * is CHUNK_OPENING_BYTES plus these). SingleEntryChunks fills its groups by the same count.
 */
export function chunkBytesOf(encodedEntry: string): number {
  return Buffer.byteLength(encodedEntry, 'utf8') + 1;
}

/**
 * A request's entries as the client sent them, for version 4 values (stream-codec.ts): the bytes of a
 * body that is one JSON array (checked to be UTF-8 that JSON.parse accepts), or one JSON text per entry
 * (an NDJSON body's lines, trimmed), with the body's size in UTF-8 bytes, which bounds theirs.
 */
export type SubmittedEntries = (
  | {
      readonly jsonArray: Buffer;
      /**
       * The frame `jsonArray` was read into (body-frames.ts), if it was: encodeSubmittedChunks writes the
       * value's opening and closing in its spare bytes instead of copying the array into a new Buffer.
       */
      readonly frame?: BodyFrame;
    }
  | {
      readonly jsonTexts: readonly string[];
      /** When the texts are the body's lines as they stand (SubmittedLines): where they are. */
      readonly lines?: SubmittedLines;
      /** The frame `lines.body` was read into, if it was: the value is then written in it. */
      readonly frame?: BodyFrame;
    }
) & { readonly bodyBytes: number };

/**
 * An NDJSON body whose lines are its entries' texts exactly: text `i` is the bytes from just after the
 * `\n` that ends text `i - 1` (from the start, for the first) to `ends[i]`, none of them empty or
 * trimmed, and whatever follows the last text's end is blank. Then the texts joined by `,` are the body's
 * bytes up to the last text's end with its `\n`s turned to `,`, so a value that fits one chunk is
 * written from those bytes in one copy, or around them in their frame, instead of text by text.
 */
export interface SubmittedLines {
  /** The body; encodeSubmittedChunks may write the value over its bytes, so read it for nothing else. */
  readonly body: Buffer;
  /** `ends[i]`: the offset in `body` where text `i` ends (its `\n`, or the body's end). */
  readonly ends: readonly number[];
}

/** The receipt time and tenant a version 4 value carries for its entries. */
export interface SubmittedHeader {
  receivedAtMs: number;
  tenant: string;
}

const SUBMITTED_CLOSING = ']';
const SUBMITTED_CLOSING_BYTES = Buffer.from(SUBMITTED_CLOSING);
/** What closes a run of entry texts: the entries' array, then the value. */
const TEXTS_CLOSING_BYTES = Buffer.from(']]');

/**
 * The version 4 value of `jsonArray` written in place around it in `frame` (body-frames.ts), or
 * undefined when the frame has no room for `opening` (or `jsonArray` is not in it).
 */
function valueAroundArray(frame: Buffer, jsonArray: Buffer, opening: string): Buffer | undefined {
  const openingBytes = Buffer.byteLength(opening, 'utf8');
  const value = spanAround(
    frame,
    jsonArray,
    openingBytes,
    openingBytes + jsonArray.length + SUBMITTED_CLOSING_BYTES.length,
  );
  if (value === undefined) return undefined;
  value.write(opening, 0, 'utf8');
  SUBMITTED_CLOSING_BYTES.copy(value, openingBytes + jsonArray.length);
  return value;
}

/**
 * The `size` bytes of `frame` that start `before` bytes ahead of `body`, or undefined when `body` is not
 * in `frame` or the frame has not that much room around it: where a value is written around a body.
 */
function spanAround(frame: Buffer, body: Buffer, before: number, size: number): Buffer | undefined {
  if (body.buffer !== frame.buffer) return undefined;
  const start = body.byteOffset - frame.byteOffset - before;
  return start >= 0 && start + size <= frame.length ? frame.subarray(start, start + size) : undefined;
}

/**
 * Whether encodeSubmittedChunks can write `count` validated entries as sent. Lines can be cut anywhere
 * between them; a JSON array is written whole, so only when it fits one chunk (it cannot be cut without
 * scanning the text for its elements). When this is false, encode the validated entries as version 3
 * chunks (encodeLogChunks): the same rows, at the cost of encoding every entry.
 */
export function submittedFitsChunks(
  submitted: SubmittedEntries,
  count: number,
  header: SubmittedHeader,
  limits: ChunkLimits,
): boolean {
  if (!('jsonArray' in submitted)) return true;
  const bytes =
    Buffer.byteLength(submittedChunkOpening(header.receivedAtMs, header.tenant)) +
    submitted.bodyBytes +
    SUBMITTED_CLOSING.length;
  return count <= limits.maxEntries && bytes <= limits.maxBytes;
}

/**
 * Version 4 values (stream-codec.ts) carrying the entries as the client sent them: a JSON array whole,
 * as one value (check submittedFitsChunks first), or lines cut into chunks as encodeLogChunks cuts
 * entries: at most `maxEntries` entries and `maxBytes` bytes each, an entry bigger than `maxBytes` alone.
 * Validate the entries first (checkLogBatch): the value holds whatever the texts say.
 *
 * The values are Buffers, written straight from the body's bytes (a JSON array) or line by line (NDJSON):
 * a value built as a string is a V8 string of the body's size, which lands in V8's large-object space
 * (over 128 KiB) on fresh pages, is flattened and encoded to UTF-8 again on its way to the socket, and
 * only goes in a full mark-compact. Measured 2026-12-02, two pairs alternated each: ingest alone
 * (`ingest-alone.mjs --batch 1000`) 12.5 / 12.4 µs of CPU per entry with strings, 10.5 / 11.6 with
 * Buffers, the system share of it (page faults) 25% -> 15%; through the stack (`run.mjs --only 2`)
 * json-1000 18.4 / 18.0 -> 12.3 / 11.0 µs per entry and gzip NDJSON-1000 21.3 / 22.8 -> 18.3 / 16.1.
 * Lines are written into frames from `lease` when given, as encodeLogChunks writes chunks; a JSON array
 * read into a frame is written around in that frame, and so are lines that are the body's as they stand
 * (SubmittedLines) when they fit one chunk: the body's bytes are then the value's, no longer the body.
 * Measured 2026-12-05 (node, the bench's NDJSON-1000 body, 1,500 times): parsing and encoding text by
 * text ~1,200-1,270 µs per body against ~1,050-1,070 for parsing alone (BENCHMARKS.md 2026-12-05 11:40
 * for what it did to ingest). A body's frame that holds no value (lines cut into chunks, no room around
 * the body) is given back before this returns.
 */
export function encodeSubmittedChunks(
  submitted: SubmittedEntries,
  header: SubmittedHeader,
  limits: ChunkLimits,
  lease?: FrameLease,
): Buffer[] {
  const values = submittedValues(submitted, header, limits, lease);
  // A body frame no value was written in is read by nothing more: back to its pool now, rather than
  // held until Redis has the values (the caller's release after the append is then a no-op).
  const { frame } = submitted;
  if (frame !== undefined && !values.some((value) => value.buffer === frame.bytes.buffer)) frame.release();
  return values;
}

/** encodeSubmittedChunks' values, before it looks at the body's frame. */
function submittedValues(
  submitted: SubmittedEntries,
  header: SubmittedHeader,
  limits: ChunkLimits,
  lease?: FrameLease,
): Buffer[] {
  const opening = submittedChunkOpening(header.receivedAtMs, header.tenant);
  if ('jsonArray' in submitted) {
    const { jsonArray, frame } = submitted;
    const inPlace = frame === undefined ? undefined : valueAroundArray(frame.bytes, jsonArray, opening);
    return [inPlace ?? Buffer.concat([Buffer.from(opening), jsonArray, SUBMITTED_CLOSING_BYTES])];
  }
  const texts = submitted.jsonTexts;
  if (submitted.lines !== undefined && texts.length <= limits.maxEntries) {
    const value = valueOfLines(
      submitted.lines,
      texts.length,
      opening,
      limits.maxBytes,
      submitted.frame,
      lease,
    );
    if (value !== undefined) return [value];
  }
  // The opening and the `[` of the entries' array, then the texts, then TEXTS_CLOSING_BYTES.
  const head = Buffer.from(`${opening}[`);
  const fixedBytes = head.length + TEXTS_CLOSING_BYTES.length;
  const chunks: Buffer[] = [];
  let start = 0;
  let bytes = fixedBytes;
  for (let i = 0; i < texts.length; i++) {
    // Each text brings its bytes and a `,` (one fewer in all: the chunk's exact size is bytes - 1).
    const textBytes = Buffer.byteLength(texts[i], 'utf8') + 1;
    const full = i - start === limits.maxEntries || (i > start && bytes + textBytes - 1 > limits.maxBytes);
    if (full) {
      chunks.push(joinedChunk(bytes - 1, head, texts, start, i, TEXTS_CLOSING_BYTES, lease));
      start = i;
      bytes = fixedBytes;
    }
    bytes += textBytes;
  }
  chunks.push(joinedChunk(bytes - 1, head, texts, start, texts.length, TEXTS_CLOSING_BYTES, lease));
  return chunks;
}

/**
 * The one version 4 value of `count` texts that are the body's lines as they stand (SubmittedLines):
 * `opening`, `[`, the body's bytes up to the last text's end with the `\n`s between texts turned to `,`,
 * then TEXTS_CLOSING_BYTES; byte for byte what joinedChunk writes from the texts. Written in the body's
 * frame around its bytes when the frame has the room (the body is read by nothing else once parsed), else
 * copied once into a Buffer from `lease`. Undefined when the value of more than one text is larger than
 * `maxBytes`: the texts are then cut into chunks.
 */
function valueOfLines(
  { body, ends }: SubmittedLines,
  count: number,
  opening: string,
  maxBytes: number,
  frame: BodyFrame | undefined,
  lease: FrameLease | undefined,
): Buffer | undefined {
  const textsEnd = ends[count - 1];
  const headBytes = Buffer.byteLength(opening, 'utf8') + 1;
  const size = headBytes + textsEnd + TEXTS_CLOSING_BYTES.length;
  // One text is one chunk however large, as encodeLogChunks has it.
  if (size > maxBytes && count > 1) return undefined;
  let value = frame === undefined ? undefined : spanAround(frame.bytes, body, headBytes, size);
  if (value === undefined) {
    value = lease === undefined ? Buffer.allocUnsafe(size) : lease.take(size);
    body.copy(value, headBytes, 0, textsEnd);
  }
  value.write(opening, 0, 'utf8');
  value[headBytes - 1] = OPEN_BRACKET;
  for (let i = 0; i < count - 1; i++) value[headBytes + ends[i]] = COMMA;
  TEXTS_CLOSING_BYTES.copy(value, headBytes + textsEnd);
  return value;
}

/**
 * `head`, then `texts[start..end)` joined by `,`, then `tail`, as UTF-8 in a Buffer of exactly `size`
 * bytes (the caller measured each text). The texts are JSON.stringify's or come from a body checked to be
 * valid UTF-8, so they hold no lone surrogates and each encodes to exactly its bytes. The Buffer is
 * taken from `lease` when given (body-frames.ts), else allocated.
 */
function joinedChunk(
  size: number,
  head: Buffer,
  texts: readonly string[],
  start: number,
  end: number,
  tail: Buffer,
  lease: FrameLease | undefined,
): Buffer {
  const out = lease === undefined ? Buffer.allocUnsafe(size) : lease.take(size);
  let at = head.copy(out, 0);
  for (let i = start; i < end; i++) {
    if (i > start) out[at++] = COMMA;
    at += out.write(texts[i], at, 'utf8');
  }
  at += tail.copy(out, at);
  // A text that did not fit would have been cut short by write(), and what follows it dropped.
  if (at !== size) throw new RangeError(`a chunk of ${size} bytes was written as ${at}`);
  return out;
}
