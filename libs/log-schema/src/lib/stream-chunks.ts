// How a request's entries are cut into stream values (issue 14): one Redis stream entry per chunk, so
// Redis and the worker pay per chunk rather than per entry. Ingest and the bench's node:http floor both
// call encodeLogChunks, so the floor writes exactly what ingest writes.
import { LogEntry } from './log-entry.types';
import {
  encodeChunkEntry,
  encodeLogChunk,
  encodeLogChunkOfEncoded,
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
export const CHUNK_OPENING_BYTES = `[${LOG_CHUNK_CODEC_VERSION},`.length;

/**
 * `entries` (at least one) as version 3 chunks, in order: each holds at most `maxEntries` entries and
 * at most `maxBytes` bytes, except that an entry bigger than `maxBytes` on its own is a chunk of one
 * (the body limit, not the chunk size, bounds an entry). A chunk is closed as soon as the next entry
 * would not fit, so the chunks are as full as the order of the entries allows.
 *
 * Entries of the usual size fill a chunk by count long before its byte bound (1,000 entries of ~300
 * bytes are ~300 KB of the default 1 MiB), so the next `maxEntries` entries are first encoded as one
 * chunk in a single call; only when that is too big are the entries measured one by one, for the rest
 * of the request. Both ways cut the same chunks.
 */
export function encodeLogChunks(entries: readonly LogEntry[], limits: ChunkLimits): string[] {
  const chunks: string[] = [];
  let start = 0;
  let wholeWindows = true;
  while (start < entries.length) {
    if (wholeWindows) {
      const end = Math.min(entries.length, start + limits.maxEntries);
      const chunk = encodeLogChunk(entries, start, end);
      if (end - start === 1 || Buffer.byteLength(chunk, 'utf8') <= limits.maxBytes) {
        chunks.push(chunk);
        start = end;
        continue;
      }
      // Entries this size reach the byte bound first; a window per chunk would mostly be encoded twice.
      wholeWindows = false;
    }
    start = pushChunkMeasured(entries, start, limits, chunks);
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
  chunks: string[],
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
  chunks.push(encodeLogChunkOfEncoded(pending));
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
 * A request's entries as the client sent them, for version 4 values (stream-codec.ts): the text of a
 * body that is one JSON array, or one JSON text per entry (an NDJSON body's lines, trimmed), with the
 * body's size in UTF-8 bytes, which bounds theirs.
 */
export type SubmittedEntries = (
  | { readonly jsonArray: string }
  | { readonly jsonTexts: readonly string[] }
) & { readonly bodyBytes: number };

/** The receipt time and tenant a version 4 value carries for its entries. */
export interface SubmittedHeader {
  receivedAtMs: number;
  tenant: string;
}

const SUBMITTED_CLOSING = ']';
/** `[` and `]]` around a run of entry texts joined by `,`. */
const TEXTS_ENCLOSING_BYTES = 3;

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
 */
export function encodeSubmittedChunks(
  submitted: SubmittedEntries,
  header: SubmittedHeader,
  limits: ChunkLimits,
): string[] {
  const opening = submittedChunkOpening(header.receivedAtMs, header.tenant);
  if ('jsonArray' in submitted) return [`${opening}${submitted.jsonArray}${SUBMITTED_CLOSING}`];
  const texts = submitted.jsonTexts;
  const fixedBytes = Buffer.byteLength(opening) + TEXTS_ENCLOSING_BYTES;
  const chunk = (start: number, end: number) => `${opening}[${texts.slice(start, end).join(',')}]]`;
  // The body's bytes bound the lines' own, so a body that fits needs no measuring of each line.
  if (
    texts.length <= limits.maxEntries &&
    fixedBytes + submitted.bodyBytes + texts.length <= limits.maxBytes
  ) {
    return [chunk(0, texts.length)];
  }
  const chunks: string[] = [];
  let start = 0;
  let bytes = fixedBytes;
  for (let i = 0; i < texts.length; i++) {
    // Each text brings its bytes and a `,` (one fewer in all, which the bound does not need back).
    const textBytes = Buffer.byteLength(texts[i], 'utf8') + 1;
    const full = i - start === limits.maxEntries || (i > start && bytes + textBytes > limits.maxBytes);
    if (full) {
      chunks.push(chunk(start, i));
      start = i;
      bytes = fixedBytes;
    }
    bytes += textBytes;
  }
  chunks.push(chunk(start, texts.length));
  return chunks;
}
