// Public API of @logpipe/protocol-loki: decode a Loki push (JSON or protobuf + snappy), map it onto the
// log entry, word its errors as Loki does. No Nest, no I/O.
export { decodeLokiPush, type LokiDecodeOptions } from './lib/push-request.decoder';
export {
  DEFAULT_LEVEL,
  DEFAULT_SERVICE,
  LEVEL_KEYS,
  SERVICE_NAME_LABELS,
  describeEntryProblems,
  mapLokiPush,
  type EntryProblem,
  type LokiLogEntry,
  type MappedLokiPush,
} from './lib/loki-entry.mapper';
export { LokiPushError, joinProblems, streamRef } from './lib/loki-push.error';
export {
  MAX_LABEL_NAME_LENGTH,
  MAX_LABEL_VALUE_LENGTH,
  MAX_LABELS_PER_STREAM,
  MAX_STRUCTURED_METADATA_PER_ENTRY,
} from './lib/push-request';
