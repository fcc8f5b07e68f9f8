// Checks both wire formats share: stream labels (Loki's limits, its messages), structured metadata and
// nanosecond timestamps.
import { MAX_TIMESTAMP_MS } from '@logpipe/log-schema';
import { isLabelName, LabelPair } from './label-string';
import { streamRef } from './loki-push.error';
import {
  MAX_LABEL_NAME_LENGTH,
  MAX_LABEL_VALUE_LENGTH,
  MAX_LABELS_PER_STREAM,
  MAX_STRUCTURED_METADATA_PER_ENTRY,
} from './push-request';

function shorten(text: string, maxLength = 64): string {
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}

/**
 * Loki's rules for a stream's labels, worded as Loki words them (pkg/validation/validate.go). Returns
 * the labels to keep (an empty value means "no such label" in Prometheus and Loki, so it is dropped)
 * or the problems.
 */
export function checkStreamLabels(
  labels: readonly LabelPair[],
  name: string,
): { labels: LabelPair[]; problems: string[] } {
  const problems: string[] = [];
  const kept: LabelPair[] = [];
  const seen = new Set<string>();
  if (labels.length > MAX_LABELS_PER_STREAM) {
    problems.push(
      `entry for stream ${streamRef(name)} has ${labels.length} label names; limit ${MAX_LABELS_PER_STREAM}`,
    );
    return { labels: kept, problems };
  }
  for (const [labelName, value] of labels) {
    if (!isLabelName(labelName)) {
      problems.push(
        `stream ${streamRef(name)} has invalid label name: '${shorten(labelName)}' (must match [a-zA-Z_][a-zA-Z0-9_]*)`,
      );
    } else if (labelName.length > MAX_LABEL_NAME_LENGTH) {
      problems.push(
        `stream ${streamRef(name)} has label name too long: '${shorten(labelName)}' (limit ${MAX_LABEL_NAME_LENGTH} characters)`,
      );
    } else if (value.length > MAX_LABEL_VALUE_LENGTH) {
      problems.push(
        `stream ${streamRef(name)} has label value too long: '${shorten(value)}' (limit ${MAX_LABEL_VALUE_LENGTH} characters)`,
      );
    } else if (seen.has(labelName)) {
      problems.push(`stream ${streamRef(name)} has duplicate label name: '${labelName}'`);
    } else {
      seen.add(labelName);
      if (value !== '') kept.push([labelName, value]);
    }
  }
  if (problems.length === 0 && kept.length === 0) {
    problems.push(`error at least one label pair is required per stream (stream ${streamRef(name)})`);
  }
  return { labels: kept, problems };
}

/** Problem with one entry's structured metadata, or null. */
export function structuredMetadataProblem(metadata: readonly LabelPair[]): string | null {
  if (metadata.length > MAX_STRUCTURED_METADATA_PER_ENTRY) {
    return `has too many structured metadata labels: '${metadata.length}', limit: '${MAX_STRUCTURED_METADATA_PER_ENTRY}'`;
  }
  for (const [metadataName, value] of metadata) {
    if (metadataName === '') return 'has a structured metadata label with an empty name';
    if (metadataName.length > MAX_LABEL_NAME_LENGTH) {
      return `has structured metadata name too long: '${shorten(metadataName)}' (limit ${MAX_LABEL_NAME_LENGTH} characters)`;
    }
    if (value.length > MAX_LABEL_VALUE_LENGTH) {
      return `has structured metadata value too long: '${shorten(value)}' (limit ${MAX_LABEL_VALUE_LENGTH} characters)`;
    }
  }
  return null;
}

const MAX_INT64_DIGITS = '9223372036854775807';
const NANOSECONDS = /^[0-9]{1,19}$/;

/**
 * A JSON push's timestamp: a string of Unix epoch nanoseconds (an int64, as Loki's strconv.ParseInt
 * reads it; no sign). Kept to the store's precision: the sub-millisecond digits are cut, not rounded,
 * like the fraction of an ISO timestamp on /api/logs.
 */
export function nanosecondsToEpochMs(text: string): number | null {
  if (!NANOSECONDS.test(text)) return null;
  if (text.length === 19 && text > MAX_INT64_DIGITS) return null;
  return text.length > 6 ? Number(text.slice(0, -6)) : 0;
}

/** A protobuf google.protobuf.Timestamp as epoch ms, or null when it is out of range. */
export function protoTimestampToEpochMs(seconds: number, nanos: number): number | null {
  if (!Number.isInteger(seconds) || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) {
    return null;
  }
  const epochMs = seconds * 1000 + Math.floor(nanos / 1_000_000);
  return epochMs >= 0 && epochMs <= MAX_TIMESTAMP_MS ? epochMs : null;
}
