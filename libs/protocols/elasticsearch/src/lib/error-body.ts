/** Elasticsearch's error answer: what its clients read (`error.type`, `error.reason`, `status`). */
export interface ElasticsearchErrorBody {
  error: {
    root_cause: { type: string; reason: string }[];
    type: string;
    reason: string;
  };
  status: number;
}

// The types Elasticsearch itself answers with for these statuses, so that a client's message
// ("ResponseError: security_exception: ...") reads as it would against Elasticsearch.
const TYPE_BY_STATUS: ReadonlyMap<number, string> = new Map([
  [400, 'illegal_argument_exception'],
  [401, 'security_exception'],
  [403, 'security_exception'],
  [404, 'resource_not_found_exception'],
  [405, 'method_not_allowed_exception'],
  [406, 'media_type_header_exception'],
  [409, 'version_conflict_engine_exception'],
  [413, 'content_too_long_exception'],
  [415, 'media_type_header_exception'],
  [429, 'es_rejected_execution_exception'],
  [503, 'unavailable_exception'],
]);

/** The error type for an HTTP status when the caller has none more specific. */
export function errorTypeForStatus(status: number): string {
  return TYPE_BY_STATUS.get(status) ?? (status >= 500 ? 'exception' : 'illegal_argument_exception');
}

/** `{"error":{"root_cause":[{type,reason}],type,reason},"status":N}` */
export function encodeErrorBody(
  status: number,
  reason: string,
  type = errorTypeForStatus(status),
): ElasticsearchErrorBody {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}
