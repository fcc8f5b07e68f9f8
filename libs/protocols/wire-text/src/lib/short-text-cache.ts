// Attribute keys and many values (`http.method`, `GET`, `service.name`, Loki's structured-metadata names)
// repeat in every record of a protobuf request. Turning their bytes into a JS string costs a native call
// and an allocation each time: in a CPU profile of the OTLP decoder it was over a third of its time.
// Looking short ones up by a hash of their bytes costs a JS loop instead. The table only grows to
// maxEntries, so high-cardinality values cannot bloat it: once full, a miss is decoded as before.

/** Turns bytes [start, end) of `bytes` into text, or throws when they are not acceptable text. */
export type TextDecoding = (bytes: Buffer, start: number, end: number) => string;

interface Cached {
  bytes: Uint8Array;
  text: string;
}

/** Strings up to this many bytes are looked up; longer ones (messages, ids) rarely repeat. */
export const MAX_CACHED_TEXT_BYTES = 32;
const DEFAULT_MAX_ENTRIES = 4096;

function sameBytes(cached: Uint8Array, bytes: Uint8Array, start: number): boolean {
  for (let i = 0; i < cached.length; i++) {
    if (cached[i] !== bytes[start + i]) return false;
  }
  return true;
}

/**
 * Texts of short byte strings already decoded by one decoding. One cache per decoding: a lenient decoder's
 * text for bytes a strict one refuses must never be found by the strict one.
 */
export class ShortTextCache {
  private readonly table = new Map<number, Cached>();

  constructor(
    private readonly decode: TextDecoding,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
  ) {}

  /** The text of bytes [start, end) of `bytes`, as `decode` gives it (and throws). */
  text(bytes: Buffer, start: number, end: number): string {
    const length = end - start;
    if (length > MAX_CACHED_TEXT_BYTES) return this.decode(bytes, start, end);
    // FNV-1a over the bytes, with the length mixed in.
    let hash = 0x811c9dc5 ^ length;
    for (let i = start; i < end; i++) {
      hash = Math.imul(hash ^ bytes[i], 0x01000193);
    }
    const cached = this.table.get(hash);
    if (cached !== undefined && cached.bytes.length === length && sameBytes(cached.bytes, bytes, start)) {
      return cached.text;
    }
    const text = this.decode(bytes, start, end);
    if (cached === undefined && this.table.size < this.maxEntries) {
      // A copy: the request's buffer must not be kept alive by the table.
      this.table.set(hash, { bytes: Uint8Array.prototype.slice.call(bytes, start, end), text });
    }
    return text;
  }

  /** Entries held (for tests: the table must stop growing at maxEntries). */
  get size(): number {
    return this.table.size;
  }
}
