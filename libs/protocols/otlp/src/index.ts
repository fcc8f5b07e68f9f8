// Public API of @logpipe/protocol-otlp: decode, map onto the log entry, encode the answer. No Nest, no I/O.
// The mapping table is in lib/map-log-records.ts.
export { UNSUPPORTED_CONTENT_TYPE_MESSAGE, otlpEncodingOf } from './lib/otlp-content-type';
export { OtlpDecodeError } from './lib/otlp-decode-error';
export { decodeExportLogsRequest } from './lib/decode-request';
export { mapExportLogsRequest, type OtlpLogEntries, type OtlpLogEntry } from './lib/map-log-records';
export {
  encodeExportLogsResponse,
  encodeRpcStatus,
  partialSuccessOf,
  type OtlpAnswer,
  type PartialSuccess,
  type RejectedRecord,
} from './lib/encode-response';
export type { OtlpEncoding, OtlpLogsRequest } from './lib/otlp-logs.types';
