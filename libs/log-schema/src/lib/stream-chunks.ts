// How a request's entries are cut into stream values (issue 14): one Redis stream entry per chunk, so
// Redis and the worker pay per chunk rather than per entry. Ingest and the bench's node:http floor both
// call encodeLogChunks, so the floor writes exactly what ingest writes.
import { LogEntry } from './log-entry.types';
import { encodeChunkEntry, encodeLogChunkOfEncoded, LOG_CHUNK_CODEC_VERSION } from './stream-codec';

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
 */
export function encodeLogChunks(entries: readonly LogEntry[], limits: ChunkLimits): string[] {
  const chunks: string[] = [];
  let pending: string[] = [];
  let pendingBytes = CHUNK_OPENING_BYTES;
  for (const entry of entries) {
    const encoded = encodeChunkEntry(entry);
    const bytes = chunkBytesOf(encoded);
    if (
      pending.length > 0 &&
      (pending.length >= limits.maxEntries || pendingBytes + bytes > limits.maxBytes)
    ) {
      chunks.push(encodeLogChunkOfEncoded(pending));
      pending = [];
      pendingBytes = CHUNK_OPENING_BYTES;
    }
    pending.push(encoded);
    pendingBytes += bytes;
  }
  if (pending.length > 0) chunks.push(encodeLogChunkOfEncoded(pending));
  return chunks;
}

/**
 * The UTF-8 bytes one encoded entry adds to a chunk: its text and one `,` or the closing `]` (a chunk
 * is CHUNK_OPENING_BYTES plus these). SingleEntryChunks fills its groups by the same count.
 */
export function chunkBytesOf(encodedEntry: string): number {
  return Buffer.byteLength(encodedEntry, 'utf8') + 1;
}
