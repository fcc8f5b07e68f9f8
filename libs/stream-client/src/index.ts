// Public API of @logpipe/stream-client.
export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_COMPRESS_MIN_BYTES,
  DEFAULT_DEAD_LETTER_STREAM_KEY,
  DEFAULT_GROUP_NAME,
  CLUSTER_NODES_PATTERN,
  DEFAULT_STREAM_KEY,
  MAX_STREAM_SHARDS,
  STREAM_CLIENT_OPTIONS,
  parseClusterNodes,
  STREAM_PAYLOAD_FIELD,
  resolveStreamClientOptions,
  type ResolvedStreamClientOptions,
  type StreamClientOptions,
} from './lib/stream-client.options';
export { StreamClientModule, type StreamClientAsyncOptions } from './lib/stream-client.module';
export { StreamProducer, type StreamBacklog } from './lib/stream-producer.service';
export { StreamTail } from './lib/stream-tail.service';
export { DEAD_LETTER_ID_PATTERN, StreamLayoutMismatchError, type StreamShard } from './lib/stream-shards';
export {
  StreamConsumer,
  summedGroupInfo,
  type ConsumerGroupStatus,
  type DeadLetterItem,
  type DeadLetterOutcome,
  type SettledMessage,
  type SettleOutcome,
} from './lib/stream-consumer.service';
export {
  DeadLetters,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetterSelector,
  type DeadLetterSummary,
  type ReplayPreparation,
  type ReplayResult,
} from './lib/dead-letters.service';
export { parseStreamEntry, type StreamMessage } from './lib/stream-reply.parser';
export { SNAPPY_PAYLOAD_FIELD } from './lib/stream-value-compression';
export { StreamUnavailableError } from './lib/stream-unavailable.error';
