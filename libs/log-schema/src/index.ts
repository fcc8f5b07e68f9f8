// Public API of @logpipe/log-schema: the one definition of a log entry, shared by ingest and worker.
export { LOG_LEVELS, isLogLevel, levelRank } from './lib/log-level';
export type { LogLevel } from './lib/log-level';
export {
  DEFAULT_TENANT,
  EVENT_ID_PATTERN,
  MAX_ATTRIBUTES_BYTES,
  MAX_ATTRIBUTES_DEPTH,
  MAX_EVENT_ID_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_SERVICE_LENGTH,
  MAX_TENANT_LENGTH,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  SPAN_ID_PATTERN,
  TENANT_PATTERN,
  TRACE_ID_PATTERN,
} from './lib/log-entry.limits';
export { LogEntryDto } from './lib/log-entry.dto';
export type {
  EntryTimeLimits,
  IngestContext,
  LogBatchFieldError,
  LogEntriesValidation,
  LogBatchValidation,
  LogEntry,
  LogEntryFieldError,
  LogEntryValidation,
} from './lib/log-entry.types';
export {
  DEFAULT_MAX_BATCH_ERRORS,
  ROOT_FIELD,
  checkLogBatch,
  validateLogBatch,
  validateLogEntries,
  validateLogEntry,
} from './lib/log-entry.validation';
export {
  LOG_CHUNK_CODEC_VERSION,
  LOG_ENTRY_CODEC_VERSION,
  LOG_SUBMITTED_CHUNK_CODEC_VERSION,
  LogEntryDecodeError,
  chunkEntryId,
  decodeStreamValue,
  encodeChunkEntry,
  encodeLogChunk,
  encodeLogChunkOfEncoded,
  encodeLogEntry,
  type DecodedSlot,
  type DecodedStreamValue,
} from './lib/stream-codec';
export {
  DEFAULT_CHUNK_MAX_BYTES,
  DEFAULT_CHUNK_MAX_ENTRIES,
  encodeLogChunks,
  encodeSubmittedChunks,
  submittedFitsChunks,
  type ChunkLimits,
  type SubmittedEntries,
  type SubmittedLines,
  type SubmittedHeader,
} from './lib/stream-chunks';
export {
  BodyFramePool,
  BodyFrameWriter,
  firstFrameBodyBytes,
  FrameLease,
  type BodyFrame,
  type FramedBody,
} from './lib/body-frames';
export { GUNZIP_ONE_CALL_MAX_BYTES, GunzippedPayload } from './lib/gunzipped-payload';
export { SingleEntryChunks, type StreamAppender } from './lib/single-entry-chunks';
export { parseTimestamp, type TimestampParse } from './lib/timestamp';
export { prepareDeadLetterReplay, REPLAY_EVENT_ID_PREFIX } from './lib/dead-letter-replay';
