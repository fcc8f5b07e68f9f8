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
  if (!path.includes('.')) return undefined;
  const segments = path.split('.');
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
