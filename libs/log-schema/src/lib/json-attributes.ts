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

function formatPath(segments: readonly (string | number)[]): string {
  let path = 'attributes';
  for (const segment of segments) {
    if (path.length > MAX_SHOWN_PATH_LENGTH) return `${path}…`;
    if (typeof segment === 'number') path += `[${segment}]`;
    else path += IDENTIFIER.test(segment) ? `.${segment}` : `[${quoteForMessage(segment)}]`;
  }
  return path;
}

/**
 * One pass over the attributes tree. It runs before JSON.stringify so that a very deep or cyclic value is
 * refused at depth MAX_ATTRIBUTES_DEPTH + 1 instead of overflowing the stack, and it keeps a lower bound of
 * the serialised size (UTF-8 bytes >= UTF-16 code units) so that a huge value is refused before being
 * walked to the end. The path to the current value is kept as segments and only formatted for a message.
 */
class AttributesWalk {
  private sizeLowerBound = 0;

  /** Ready for another tree: one walk is reused for every entry (see attributesProblem). */
  reset(): this {
    this.sizeLowerBound = 0;
    this.sizeUpperBound = 2;
    // Only after a walk that stopped at a problem: a successful one pops what it pushed, and setting the
    // length of an array to 0 drops its backing store, so the next walk's first push would allocate one
    // (~170 bytes per entry, measured with V8's sampling heap profiler; issue 14).
    if (this.path.length !== 0) this.path.length = 0;
    return this;
  }

  /**
   * An upper bound of the serialised size in UTF-8 bytes: a string or key takes at most 6 bytes per code
   * unit (a \uXXXX escape; a non-ASCII unit takes at most 3), a number at most 25 characters
   * (-0.0000012345678901234567: 17 digits printed in full between 1e-6 and 1e-5), plus
   * quotes, colons, commas and brackets. When it is within the limit, no JSON.stringify is needed.
   */
  sizeUpperBound = 2;
  private readonly path: (string | number)[] = [];

  /** The problem found, or null. */
  container(value: object, depth: number): string | null {
    if (depth > MAX_ATTRIBUTES_DEPTH) {
      return `must not nest objects/arrays more than ${MAX_ATTRIBUTES_DEPTH} levels deep (at ${this.here()})`;
    }
    if (Array.isArray(value)) {
      // An index loop, not for-of: holes in a sparse array read as undefined and are refused as non-JSON.
      for (let i = 0; i < value.length; i++) {
        const problem = this.member(value[i], depth, i);
        if (problem !== null) return problem;
      }
      return null;
    }
    if (!isPlainObject(value)) {
      return `must hold only JSON values (found a non-plain object at ${this.here()})`;
    }
    // for-in over own keys visits them in Object.keys' order without allocating its array (a plain
    // object's prototype has no enumerable keys; an own key is all that is walked).
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (FORBIDDEN_KEYS.has(key)) {
        return `must not use the key ${quoteForMessage(key)} (at ${this.here()}): it can pollute object prototypes`;
      }
      const keyProblem = unstorableTextProblem(key);
      if (keyProblem !== null) {
        return `keys ${keyProblem} (in a key of ${this.here()})`;
      }
      this.sizeLowerBound += key.length + 3;
      this.sizeUpperBound += 6 * key.length + 3;
      const problem = this.member(value[key], depth, key);
      if (problem !== null) return problem;
    }
    return null;
  }

  private member(value: unknown, depth: number, segment: string | number): string | null {
    this.sizeLowerBound += 1;
    // A comma, and a number or a literal (25 characters at most) or a container's brackets.
    this.sizeUpperBound += 1 + 25;
    if (this.sizeLowerBound > MAX_ATTRIBUTES_BYTES) {
      return sizeProblem(`more than ${MAX_ATTRIBUTES_BYTES}`);
    }
    switch (typeof value) {
      case 'string': {
        this.sizeLowerBound += value.length + 1;
        this.sizeUpperBound += 6 * value.length + 2;
        const problem = unstorableTextProblem(value);
        return problem === null ? null : `strings ${problem} (at ${this.here(segment)})`;
      }
      case 'number':
        return Number.isFinite(value)
          ? null
          : `must hold only JSON values (found ${value} at ${this.here(segment)})`;
      case 'boolean':
        return null;
      case 'object': {
        if (value === null) return null;
        this.path.push(segment);
        const problem = this.container(value, depth + 1);
        this.path.pop();
        return problem;
      }
      default:
        return `must hold only JSON values (found ${typeof value} at ${this.here(segment)})`;
    }
  }

  private here(segment?: string | number): string {
    return formatPath(segment === undefined ? this.path : [...this.path, segment]);
  }
}

const SHARED_WALK = new AttributesWalk();

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
  // One walk for every call: it is synchronous and not re-entered, and an object and an array fewer per
  // entry is measurable on 1,000-entry requests (issue 14).
  const walk = SHARED_WALK.reset();
  const walkProblem = walk.container(value, 1);
  if (walkProblem !== null) {
    return walkProblem;
  }
  if (walk.sizeUpperBound <= MAX_ATTRIBUTES_BYTES) {
    return null;
  }
  // Serialised once, only after the walk proved the value is a bounded, acyclic JSON tree.
  const json = JSON.stringify(value);
  return fitsUtf8Bytes(json, MAX_ATTRIBUTES_BYTES) ? null : sizeProblem(String(utf8ByteLength(json)));
}
