import type { DocumentContext } from './document-mapping';
import { LogEntryInput, logEntryInput } from './log-entry-input';
import { isJsonObject } from './document-fields';
import { nonEmptyString, spanIdValue, traceIdValue } from './field-values';
import { levelFromValue } from './level-mapping';
import { timestampForEntry } from './timestamp-mapping';

// The mapping of document-mapping.ts for the documents shippers send nearly always (Filebeat, Fluent
// Bit, Vector, Logstash, the Elastic loggers): a non-empty string `message`, read with the default
// message fields. It reads each field the mapping knows by name, at most once, instead of searching
// the document path by path (DocumentFields), and builds the attributes in one walk over the
// document's keys (what it saves: BENCHMARKS.md, "Elasticsearch documents mapped in one pass"). Any
// other document goes the general way, and a property test (one-pass-mapping.spec.ts) holds the two to
// the same result.
//
// Reading by name is safe: none of the names is a property of Object.prototype, so `document.x` is the
// document's own field or undefined (JSON has no undefined value).

type JsonObject = Record<string, unknown>;

/** `object[key]` when `object` is a plain object (arrays are not walked, as in DocumentFields). */
function child(object: unknown, key: 'level' | 'name' | 'id'): unknown {
  return isJsonObject(object) ? object[key] : undefined;
}

/** `object` without `key`, or undefined when nothing else is left (DocumentFields drops it then). */
function withoutChild(object: JsonObject, key: string): JsonObject | undefined {
  let copy: JsonObject | undefined;
  for (const name in object) {
    if (name !== key) (copy ??= {})[name] = object[name];
  }
  return copy;
}

/**
 * One of the entry's fields that ECS names with a dot (`log.level`, `service.name`, `trace.id`,
 * `span.id`): read from the dotted key when that is present, valid or not, else from its nested path,
 * as Elasticsearch reads a field name; when neither gives a value `read` accepts, from the top-level
 * fallback key (`level`, `trace_id`, `span_id`) if there is one. It records where the value was taken
 * from, for the attributes to leave it out. One instance per field, reused for every document
 * (mapping is synchronous and never re-entered).
 */
class DottedField {
  value: string | undefined;
  /** The top-level key the value was taken from (the dotted key or the fallback), if any. */
  key: string | undefined;
  /** The parent's key when the value was taken from the nested path, for its copy without the child. */
  parent: string | undefined;

  constructor(
    private readonly dottedKey: string,
    private readonly parentKey: string,
    readonly childKey: 'level' | 'name' | 'id',
    private readonly fallbackKey: string | undefined,
    private readonly read: (value: unknown) => string | undefined,
  ) {}

  /** The document's values at the dotted key, the parent key and the fallback key (read by name by the caller). */
  take(dotted: unknown, parent: unknown, fallback: unknown): this {
    this.key = undefined;
    this.parent = undefined;
    const found = dotted !== undefined ? dotted : child(parent, this.childKey);
    this.value = found === undefined ? undefined : this.read(found);
    if (this.value !== undefined) {
      if (dotted !== undefined) this.key = this.dottedKey;
      else this.parent = this.parentKey;
    } else if (fallback !== undefined && this.fallbackKey !== undefined) {
      this.value = this.read(fallback);
      if (this.value !== undefined) this.key = this.fallbackKey;
    }
    return this;
  }
}

const LEVEL = new DottedField('log.level', 'log', 'level', 'level', levelFromValue);
const SERVICE = new DottedField('service.name', 'service', 'name', undefined, nonEmptyString);
const TRACE = new DottedField('trace.id', 'trace', 'id', 'trace_id', traceIdValue);
const SPAN = new DottedField('span.id', 'span', 'id', 'span_id', spanIdValue);

/** Whether `key` is where one of the fields was taken from (the entry has it; attributes do not). */
function isTakenKey(key: string, timestampKey: string | undefined): boolean {
  return (
    key === 'message' ||
    key === timestampKey ||
    key === LEVEL.key ||
    key === SERVICE.key ||
    key === TRACE.key ||
    key === SPAN.key
  );
}

/** The field taken from a child of the object at `key`, if any. */
function nestedFieldUnder(key: string): DottedField | undefined {
  if (key === LEVEL.parent) return LEVEL;
  if (key === SERVICE.parent) return SERVICE;
  if (key === TRACE.parent) return TRACE;
  if (key === SPAN.parent) return SPAN;
  return undefined;
}

/**
 * The entry of a document whose `message` is a non-empty string, read with the default message fields;
 * undefined for any other document (the caller maps it the general way). The same entry, attributes
 * in the same key order, as the general mapping.
 */
export function mapInOnePass(document: JsonObject, context: DocumentContext): LogEntryInput | undefined {
  const message = document.message;
  if (typeof message !== 'string' || message === '') return undefined;

  // timestamp: the first present of @timestamp, timestamp, time, whatever its value.
  let timestampKey: string | undefined;
  if (document['@timestamp'] !== undefined) timestampKey = '@timestamp';
  else if (document.timestamp !== undefined) timestampKey = 'timestamp';
  else if (document.time !== undefined) timestampKey = 'time';
  const timestamp = timestampKey === undefined ? undefined : timestampForEntry(document[timestampKey]);

  const level = LEVEL.take(document['log.level'], document.log, document.level).value;
  const service = SERVICE.take(document['service.name'], document.service, undefined).value;
  const traceId = TRACE.take(document['trace.id'], document.trace, document.trace_id).value;
  const spanId = SPAN.take(document['span.id'], document.span, document.span_id).value;

  // The attributes: every other key in document order; a parent whose child was taken keeps its other
  // keys, and goes when it has none.
  let attributes: JsonObject | undefined;
  for (const key in document) {
    if (isTakenKey(key, timestampKey)) continue;
    let value = document[key];
    const nested = nestedFieldUnder(key);
    // That parent is a plain object: child() read through it.
    if (nested !== undefined) value = withoutChild(value as JsonObject, nested.childKey);
    if (value === undefined) continue;
    (attributes ??= {})[key] = value;
  }
  return logEntryInput(context, timestamp, level, service, message, attributes, traceId, spanId);
}
