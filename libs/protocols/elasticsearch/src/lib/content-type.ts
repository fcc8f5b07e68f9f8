// The media types the Elasticsearch clients and shippers send a bulk body with: plain NDJSON or JSON
// (Fluent Bit, Vector, Filebeat, Logstash, syslog-ng, curl users) and the versioned types of the
// official clients' compatibility mode (`application/vnd.elasticsearch+x-ndjson; compatible-with=8`).
const BULK_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'application/x-ndjson',
  'application/json',
  'application/vnd.elasticsearch+x-ndjson',
  'application/vnd.elasticsearch+json',
]);
const COMPATIBLE_VERSIONS: ReadonlySet<string> = new Set(['7', '8']);

export const ACCEPTED_BULK_CONTENT_TYPES =
  'application/x-ndjson, application/json, application/vnd.elasticsearch+x-ndjson; compatible-with=7|8';

/** Why a bulk request's Content-Type is refused (415), or null when it is accepted. */
export function bulkContentTypeProblem(header: string | undefined): string | null {
  if (header === undefined || header.trim() === '') {
    return `Content-Type header is missing; send one of: ${ACCEPTED_BULK_CONTENT_TYPES}`;
  }
  const [mediaType, ...parameters] = header.split(';').map((part) => part.trim().toLowerCase());
  if (!BULK_MEDIA_TYPES.has(mediaType)) {
    return `Content-Type header [${header.slice(0, 100)}] is not supported; send one of: ${ACCEPTED_BULK_CONTENT_TYPES}`;
  }
  for (const parameter of parameters) {
    const [name, rawValue = ''] = parameter.split('=').map((part) => part.trim());
    const value = rawValue.replace(/^"(.*)"$/, '$1');
    if (name === 'charset' && value !== 'utf-8' && value !== 'utf8') {
      return `Content-Type charset [${value}] is not supported; the bulk body must be UTF-8`;
    }
    if (name === 'compatible-with' && !COMPATIBLE_VERSIONS.has(value)) {
      return `compatible-with=${value} is not supported; Logpipe answers as Elasticsearch 8 and accepts compatible-with=7 or 8`;
    }
  }
  return null;
}
