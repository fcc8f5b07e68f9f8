// Finding a field in an Elasticsearch document the way Elasticsearch itself reads a field name: the
// dotted key ("log.level": "warn") or the nested object path ({"log": {"level": "warn"}}) name the
// same field.

type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Paths are a handful of field names (the mapping's and `_msg_field`'s): split once, not per document.
const SEGMENTS = new Map<string, readonly string[]>();
const MAX_CACHED_PATHS = 1000;

function segmentsOf(path: string): readonly string[] {
  let segments = SEGMENTS.get(path);
  if (segments === undefined) {
    segments = path.split('.');
    // `_msg_field` comes from requests: bound the cache rather than trust its variety.
    if (SEGMENTS.size < MAX_CACHED_PATHS) SEGMENTS.set(path, segments);
  }
  return segments;
}

/**
 * Reads fields of one document and hands back what was not used. Used fields are recorded rather
 * than deleted: `delete` turns a V8 object into a slow dictionary, which every later step (validation,
 * serialisation for the stream) would then pay for. Only the objects that lost a field are copied.
 */
export class DocumentFields {
  // A document uses a handful of fields at most: parallel arrays cost less than a Map of Sets per
  // document on the hot path.
  /** The objects holding a used key, and the keys, pairwise. */
  private readonly takenHolders: JsonObject[] = [];
  private readonly takenKeys: string[] = [];
  /** Objects on the path to a used key: the ones `remaining()` must copy. */
  private readonly touched: JsonObject[] = [];
  private document: JsonObject;

  /** The object holding the field the last find() found (undefined: not found), and its key. */
  private foundHolder: JsonObject | undefined;
  private foundKey = '';
  /** The path segments of that field when it was found nested, for takeFound() to mark the objects on the way. */
  private foundSegments: readonly string[] | undefined;

  constructor(document: JsonObject) {
    this.document = document;
  }

  /**
   * Starts over on another document: one instance can serve every document of a request (they are
   * mapped one after the other), instead of four objects per document.
   */
  reset(document: JsonObject): this {
    this.document = document;
    this.takenHolders.length = 0;
    this.takenKeys.length = 0;
    this.touched.length = 0;
    this.foundHolder = undefined;
    return this;
  }

  /**
   * The value of field `path`: the key itself first (a flat "service.name" key), else the nested path
   * (service -> name). Undefined when absent or already used (JSON has no undefined value). Only plain
   * objects are walked, never arrays. takeFound() marks what it found as used; nothing is allocated
   * per lookup, as this runs several times per document.
   */
  find(path: string): unknown {
    this.foundHolder = undefined;
    const document = this.document;
    if (this.has(document, path)) {
      this.foundHolder = document;
      this.foundKey = path;
      this.foundSegments = undefined;
      return document[path];
    }
    const segments = segmentsOf(path);
    if (segments.length < 2) return undefined;
    let current: JsonObject = document;
    for (let i = 0; i < segments.length - 1; i++) {
      const next = this.has(current, segments[i]) ? current[segments[i]] : undefined;
      if (!isJsonObject(next)) return undefined;
      current = next;
    }
    const leaf = segments[segments.length - 1];
    if (!this.has(current, leaf)) return undefined;
    this.foundHolder = current;
    this.foundKey = leaf;
    this.foundSegments = segments;
    return current[leaf];
  }

  /** Marks the field the last find() returned as used: it is left out of `remaining()`. */
  takeFound(): void {
    const holder = this.foundHolder;
    if (holder === undefined) throw new Error('takeFound() without a field found by find()');
    this.takenHolders.push(holder);
    this.takenKeys.push(this.foundKey);
    this.touch(this.document);
    const segments = this.foundSegments;
    if (segments !== undefined) {
      // The same walk as find()'s, which just succeeded: every step is a plain object.
      let current = this.document;
      for (let i = 0; i < segments.length - 1; i++) {
        current = current[segments[i]] as JsonObject;
        this.touch(current);
      }
    }
    this.foundHolder = undefined;
  }

  /**
   * The document without the used fields, or undefined when nothing is left. Objects emptied by that
   * ({"service": {"name": "api"}} once service.name is used) are left out too.
   */
  remaining(): JsonObject | undefined {
    if (this.touched.length > 0) return this.without(this.document);
    for (const _key in this.document) return this.document;
    return undefined;
  }

  private isTaken(object: JsonObject, key: string): boolean {
    for (let i = 0; i < this.takenKeys.length; i++) {
      if (this.takenKeys[i] === key && this.takenHolders[i] === object) return true;
    }
    return false;
  }

  private has(object: JsonObject, key: string): boolean {
    return Object.hasOwn(object, key) && (this.takenKeys.length === 0 || !this.isTaken(object, key));
  }

  private touch(object: JsonObject): void {
    if (!this.touched.includes(object)) this.touched.push(object);
  }

  /** `object` without its used fields, or undefined when nothing is left; copied only when something is. */
  private without(object: JsonObject): JsonObject | undefined {
    let copy: JsonObject | undefined;
    for (const key in object) {
      if (this.isTaken(object, key)) continue;
      let value = object[key];
      if (isJsonObject(value) && this.touched.includes(value)) {
        value = this.without(value);
        if (value === undefined) continue;
      }
      (copy ??= {})[key] = value;
    }
    return copy;
  }
}
