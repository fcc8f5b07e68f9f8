// Public API of @logpipe/stream-client.
export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_DEAD_LETTER_STREAM_KEY,
  DEFAULT_GROUP_NAME,
  DEFAULT_STREAM_KEY,
  STREAM_CLIENT_OPTIONS,
  STREAM_PAYLOAD_FIELD,
  resolveStreamClientOptions,
  type ResolvedStreamClientOptions,
  type StreamClientOptions,
} from './lib/stream-client.options';
export { StreamClientModule, type StreamClientAsyncOptions } from './lib/stream-client.module';
export { StreamProducer } from './lib/stream-producer.service';
export {
  StreamConsumer,
  type ConsumerGroupStatus,
  type DeadLetterItem,
  type DeadLetterOutcome,
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
export type { StreamMessage } from './lib/stream-reply.parser';
export { StreamUnavailableError } from './lib/stream-unavailable.error';
