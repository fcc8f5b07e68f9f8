import type { Reader } from 'protobufjs';

// Attribute keys and many values (`http.method`, `GET`, `service.name`) repeat in every record. Turning
// their bytes into a JS string was the largest cost of decoding a request (a native call per string,
// over a third of the decoder's time in a CPU profile); looking short ones up by a hash of their bytes
// costs a JS loop instead. The table only grows to MAX_ENTRIES, so high-cardinality values cannot bloat
// it: once full, a miss is decoded as before.
const MAX_CACHED_LENGTH = 32;
const MAX_ENTRIES = 4096;

interface Cached {
  bytes: Uint8Array;
  text: string;
}

const cache = new Map<number, Cached>();

function sameBytes(cached: Uint8Array, buf: Uint8Array, start: number): boolean {
  for (let i = 0; i < cached.length; i++) {
    if (cached[i] !== buf[start + i]) return false;
  }
  return true;
}

/** A length-delimited UTF-8 string at the reader's position, as Reader.string() reads it. */
export function readString(reader: Reader): string {
  const length = reader.uint32();
  const start = reader.pos;
  const end = start + length;
  if (end > reader.len) {
    throw new RangeError(`index out of range: ${start} + ${length} > ${reader.len}`);
  }
  reader.pos = end;
  const buf = reader.buf as Buffer;
  if (length > MAX_CACHED_LENGTH) {
    return buf.toString('utf8', start, end);
  }
  // FNV-1a over the bytes, with the length mixed in.
  let hash = 0x811c9dc5 ^ length;
  for (let i = start; i < end; i++) {
    hash = Math.imul(hash ^ buf[i], 0x01000193);
  }
  const cached = cache.get(hash);
  if (cached !== undefined && cached.bytes.length === length && sameBytes(cached.bytes, buf, start)) {
    return cached.text;
  }
  const text = buf.toString('utf8', start, end);
  if (cached === undefined && cache.size < MAX_ENTRIES) {
    // A copy: the request's buffer must not be kept alive by the table.
    cache.set(hash, { bytes: Uint8Array.prototype.slice.call(buf, start, end), text });
  }
  return text;
}
