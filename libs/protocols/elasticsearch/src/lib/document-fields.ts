// Finding a field in an Elasticsearch document the way Elasticsearch itself reads a field name: the
// dotted key ("log.level": "warn") or the nested object path ({"log": {"level": "warn"}}) name the
// same field.

type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where a field was found, so that it can be removed once it has been used. */
export interface FoundField {
  readonly value: unknown;
  /** Removes the field from the document, and the objects that held only it. */
  take(): void;
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
 * The field `path` of `document`: the key itself first (a flat "service.name" key), else the nested
 * path (service -> name). Undefined when absent. Only plain objects are walked, never arrays.
 */
export function findField(document: JsonObject, path: string): FoundField | undefined {
  if (Object.hasOwn(document, path)) {
    return {
      value: document[path],
      take: () => {
        delete document[path];
      },
    };
  }
  const segments = segmentsOf(path);
  if (segments.length < 2) return undefined;
  const chain: JsonObject[] = [document];
  let current: JsonObject = document;
  for (let i = 0; i < segments.length - 1; i++) {
    const next = Object.hasOwn(current, segments[i]) ? current[segments[i]] : undefined;
    if (!isJsonObject(next)) return undefined;
    chain.push(next);
    current = next;
  }
  const leaf = segments[segments.length - 1];
  if (!Object.hasOwn(current, leaf)) return undefined;
  return {
    value: current[leaf],
    take: () => {
      delete current[leaf];
      // {"service": {"name": "api"}} leaves no empty "service": {} behind.
      for (let i = chain.length - 1; i > 0 && Object.keys(chain[i]).length === 0; i--) {
        delete chain[i - 1][segments[i - 1]];
      }
    },
  };
}
