import { LabelPair } from './label-string';

// Loki's own defaults (pkg/validation/limits.go), so a shipper configured for Loki fits Logpipe as is.
/** validation.max-label-names-per-series */
export const MAX_LABELS_PER_STREAM = 15;
/** validation.max-length-label-name */
export const MAX_LABEL_NAME_LENGTH = 1024;
/** validation.max-length-label-value */
export const MAX_LABEL_VALUE_LENGTH = 2048;
/** limits.max-structured-metadata-entries-count */
export const MAX_STRUCTURED_METADATA_PER_ENTRY = 128;

/** One log line of a stream, its timestamp already cut to the store's precision (epoch milliseconds). */
export interface LokiPushEntry {
  readonly epochMs: number;
  readonly line: string;
  /** Structured metadata (Loki's non-indexed labels), in the order sent; undefined when none. */
  readonly metadata: readonly LabelPair[] | undefined;
}

export interface LokiPushStream {
  readonly labels: readonly LabelPair[];
  /** How the stream is named in error messages: the label string as sent, or its rendering. */
  readonly name: string;
  readonly entries: readonly LokiPushEntry[];
}

/** A decoded push request, the same for both wire formats. */
export interface LokiPushRequest {
  readonly streams: readonly LokiPushStream[];
}
