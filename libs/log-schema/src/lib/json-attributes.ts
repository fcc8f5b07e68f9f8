import { MAX_ATTRIBUTES_BYTES, MAX_ATTRIBUTES_DEPTH } from './log-entry.limits';
import { fitsUtf8Bytes, quoteForMessage, unstorableTextProblem, utf8ByteLength } from './storable-text';

/** Keys that can reach an object's prototype when a consumer merges or copies attributes. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const MAX_SHOWN_PATH_LENGTH = 200;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Names a JSON value's kind for messages such as "must be a JSON object (got array)". */
export function describeJsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function childPath(path: string, key: string | number): string {
  if (path.length > MAX_SHOWN_PATH_LENGTH) {
    return path;
  }
  if (typeof key === 'number') return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${quoteForMessage(key)}]`;
}

/**
 * One pass over the attributes tree. It runs before JSON.stringify so that a very deep or cyclic value is
 * refused at depth MAX_ATTRIBUTES_DEPTH + 1 instead of overflowing the stack, and it keeps a lower bound of
 * the serialised size (UTF-8 bytes >= UTF-16 code units) so that a huge value is refused before
 * being walked to the end.
 */
class AttributesWalk {
  private sizeLowerBound = 0;

  /** The problem found, or null. */
  container(value: object, depth: number, path: string): string | null {
    if (depth > MAX_ATTRIBUTES_DEPTH) {
      return `must not nest objects/arrays more than ${MAX_ATTRIBUTES_DEPTH} levels deep (at ${path})`;
    }
    if (Array.isArray(value)) {
      // An index loop, not for-of: holes in a sparse array read as undefined and are refused as non-JSON.
      for (let i = 0; i < value.length; i++) {
        const problem = this.member(value[i], depth, childPath(path, i));
        if (problem !== null) return problem;
      }
      return null;
    }
    if (!isPlainObject(value)) {
      return `must hold only JSON values (found a non-plain object at ${path})`;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        return `must not use the key ${quoteForMessage(key)} (at ${path}): it can pollute object prototypes`;
      }
      const keyProblem = unstorableTextProblem(key);
      if (keyProblem !== null) {
        return `keys ${keyProblem} (in a key of ${path})`;
      }
      this.sizeLowerBound += key.length + 3;
      const problem = this.member(value[key], depth, childPath(path, key));
      if (problem !== null) return problem;
    }
    return null;
  }

  private member(value: unknown, depth: number, path: string): string | null {
    this.sizeLowerBound += 1;
    if (this.sizeLowerBound > MAX_ATTRIBUTES_BYTES) {
      return sizeProblem(`more than ${MAX_ATTRIBUTES_BYTES}`);
    }
    switch (typeof value) {
      case 'string': {
        this.sizeLowerBound += value.length + 1;
        const problem = unstorableTextProblem(value);
        return problem === null ? null : `strings ${problem} (at ${path})`;
      }
      case 'number':
        return Number.isFinite(value) ? null : `must hold only JSON values (found ${value} at ${path})`;
      case 'boolean':
        return null;
      case 'object':
        return value === null ? null : this.container(value, depth + 1, path);
      default:
        return `must hold only JSON values (found ${typeof value} at ${path})`;
    }
  }
}

function sizeProblem(got: string): string {
  return `must be at most ${MAX_ATTRIBUTES_BYTES} bytes when JSON-serialised (got ${got})`;
}

/**
 * Why a submitted `attributes` value is not acceptable, or null when it is: a plain JSON object, at most
 * MAX_ATTRIBUTES_DEPTH deep and MAX_ATTRIBUTES_BYTES serialised, with storable strings and keys and no
 * prototype-pollution keys. The message follows the field name, e.g. "attributes " + problem.
 */
export function attributesProblem(value: unknown): string | null {
  if (!isPlainObject(value)) {
    return `must be a JSON object (got ${describeJsonKind(value)})`;
  }
  const walkProblem = new AttributesWalk().container(value, 1, 'attributes');
  if (walkProblem !== null) {
    return walkProblem;
  }
  // Serialised once, only after the walk proved the value is a bounded, acyclic JSON tree.
  const json = JSON.stringify(value);
  return fitsUtf8Bytes(json, MAX_ATTRIBUTES_BYTES) ? null : sizeProblem(String(utf8ByteLength(json)));
}
