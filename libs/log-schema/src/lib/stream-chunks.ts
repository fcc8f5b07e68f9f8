// How a request's entries are cut into stream values (issue 14): one Redis stream entry per chunk, so
// Redis and the worker pay per chunk rather than per entry. Ingest and the bench's node:http floor both
// call encodeLogChunks, so the floor writes exactly what ingest writes.
import { LogEntry } from './log-entry.types';
import {
  encodeChunkEntry,
  encodeLogChunk,
  encodeLogChunkOfEncoded,
  LOG_CHUNK_CODEC_VERSION,
} from './stream-codec';

/** Ingest's defaults for CHUNK_MAX_ENTRIES and CHUNK_MAX_BYTES. */
export const DEFAULT_CHUNK_MAX_ENTRIES = 500;
export const DEFAULT_CHUNK_MAX_BYTES = 256 * 1024;

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
 * Entries of the usual size fill a chunk by count long before its byte bound (500 entries of ~300
 * bytes are ~150 KB of the default 256 KiB), so the next `maxEntries` entries are first encoded as one
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
