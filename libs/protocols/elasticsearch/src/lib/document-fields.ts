// Finding a field in an Elasticsearch document the way Elasticsearch itself reads a field name: the
// dotted key ("log.level": "warn") or the nested object path ({"log": {"level": "warn"}}) name the
// same field.

type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field name and its dotted segments, split once (the mapping's names at load, `_msg_field` per request). */
export interface FieldPath {
  readonly name: string;
  /** `name` split at its dots; a single segment when it has none. */
  readonly segments: readonly string[];
}

export function fieldPath(name: string): FieldPath {
  return { name, segments: name.split('.') };
}

/**
 * Reads fields of one document and hands back what was not used. Used fields are recorded rather
 * than deleted: `delete` turns a V8 object into a slow dictionary, which every later step (validation,
 * serialisation for the stream) would then pay for. Only the objects that lost a field are copied.
 *
 * It runs once per bulk item, so nothing here allocates per lookup: one instance serves every document
 * (reset()), the bookkeeping arrays are reused, and the loops are indexed (a for-of that V8 does not
 * optimise allocates an iterator and a result per step).
 */
export class DocumentFields {
  // A document uses a handful of fields at most: parallel arrays cost less than a Map of Sets. They
  // are reused with a count of the slots in use: `array.length = 0` would drop their storage, and the
  // next push allocate it again, for every document.
  /** The objects holding a used key, and the keys, pairwise. */
  private readonly takenHolders: JsonObject[] = [];
  private readonly takenKeys: string[] = [];
  private takenCount = 0;
  /** Objects on the path to a used key: the ones `remaining()` must copy. */
  private readonly touched: JsonObject[] = [];
  private touchedCount = 0;
  private document: JsonObject = {};

  /** The object holding the field the last find() found (undefined: not found), and its key. */
  private foundHolder: JsonObject | undefined;
  private foundKey = '';
  /** The segments of that field when it was found nested, for takeFound() to mark the objects on the way. */
  private foundSegments: readonly string[] | undefined;

  /** Starts over on another document (documents are mapped one after the other, never interleaved). */
  reset(document: JsonObject): this {
    this.document = document;
    this.takenCount = 0;
    this.touchedCount = 0;
    this.foundHolder = undefined;
    return this;
  }

  /**
   * The value of field `path`: the key itself first (a flat "service.name" key), else the nested path
   * (service -> name). Undefined when absent or already used (JSON has no undefined value). Only plain
   * objects are walked, never arrays. takeFound() marks what it found as used.
   */
  find(path: FieldPath): unknown {
    this.foundHolder = undefined;
    const document = this.document;
    if (this.has(document, path.name)) {
      this.foundHolder = document;
      this.foundKey = path.name;
      this.foundSegments = undefined;
      return document[path.name];
    }
    const segments = path.segments;
    const last = segments.length - 1;
    if (last === 0) return undefined;
    let current: JsonObject = document;
    for (let i = 0; i < last; i++) {
      const next = this.has(current, segments[i]) ? current[segments[i]] : undefined;
      if (!isJsonObject(next)) return undefined;
      current = next;
    }
    const leaf = segments[last];
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
    this.takenHolders[this.takenCount] = holder;
    this.takenKeys[this.takenCount] = this.foundKey;
    this.takenCount++;
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
    if (this.touchedCount > 0) return this.without(this.document);
    for (const _key in this.document) return this.document;
    return undefined;
  }

  private isTaken(object: JsonObject, key: string): boolean {
    const keys = this.takenKeys;
    for (let i = 0; i < this.takenCount; i++) {
      if (keys[i] === key && this.takenHolders[i] === object) return true;
    }
    return false;
  }

  private has(object: JsonObject, key: string): boolean {
    return Object.hasOwn(object, key) && (this.takenCount === 0 || !this.isTaken(object, key));
  }

  private isTouched(object: JsonObject): boolean {
    const touched = this.touched;
    for (let i = 0; i < this.touchedCount; i++) if (touched[i] === object) return true;
    return false;
  }

  private touch(object: JsonObject): void {
    if (!this.isTouched(object)) this.touched[this.touchedCount++] = object;
  }

  /** `object` without its used fields, or undefined when nothing is left; copied only when something is. */
  private without(object: JsonObject): JsonObject | undefined {
    let copy: JsonObject | undefined;
    for (const key in object) {
      if (this.isTaken(object, key)) continue;
      let value = object[key];
      if (isJsonObject(value) && this.isTouched(value)) {
        value = this.without(value);
        if (value === undefined) continue;
      }
      (copy ??= {})[key] = value;
    }
    return copy;
  }
}
