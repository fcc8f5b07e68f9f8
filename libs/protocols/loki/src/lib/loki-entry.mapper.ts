// How a Loki push becomes Logpipe log entries (the shape of POST /api/logs entries). The table:
//
// | log entry     | from                                                                                  |
// | ------------- | ------------------------------------------------------------------------------------- |
// | `timestamp`   | the entry's timestamp (ns), cut to epoch milliseconds                                 |
// | `message`     | the log line, as is                                                                   |
// | `service`     | the first non-empty stream label of SERVICE_NAME_LABELS, else DEFAULT_SERVICE          |
// | `level`       | the first of LEVEL_KEYS in the stream labels, else in the structured metadata, mapped |
// |               | by LEVEL_ALIASES; else (absent or not a known spelling) DEFAULT_LEVEL                 |
// | `trace_id`    | structured metadata `trace_id` when it is 32 hex digits (as Loki's OTLP path stores)  |
// | `span_id`     | structured metadata `span_id` when it is 16 hex digits                                |
// | `attributes`  | `{ "labels": {stream labels}, "structured_metadata": {entry's metadata} }`; the      |
// |               | second key only when the entry has metadata. Every label stays, including the ones    |
// |               | service and level were read from.                                                     |
import { LogLevel, SPAN_ID_PATTERN, TRACE_ID_PATTERN } from '@logpipe/log-schema';
import { LabelPair } from './label-string';
import { joinProblems, streamRef } from './loki-push.error';
import { LokiPushRequest, LokiPushStream } from './push-request';

/**
 * Loki's service name detection (pkg/distributor: `service_name` if the stream has it, else the first
 * label of `validation.discover-service-name`, whose default this is, pkg/validation/limits.go).
 */
export const SERVICE_NAME_LABELS: readonly string[] = [
  'service_name',
  'service',
  'app',
  'application',
  'name',
  'app_kubernetes_io_name',
  'container',
  'container_name',
  'k8s_container_name',
  'component',
  'workload',
  'job',
  'k8s_job_name',
];
/** What Loki itself names a stream without any of those labels. */
export const DEFAULT_SERVICE = 'unknown_service';

/**
 * Keys a level is read from, in this order, matched without regard to case (Loki's level detection
 * reads level/LEVEL/Level, severity/..., lvl/...; `detected_level` is the label Loki adds itself, and
 * `loglevel`/`log_level` are common in shippers' pipelines).
 */
export const LEVEL_KEYS: readonly string[] = [
  'level',
  'severity',
  'detected_level',
  'lvl',
  'loglevel',
  'log_level',
];
export const DEFAULT_LEVEL: LogLevel = 'info';

/** Spellings of levels, lower case, as loggers and Loki's own detection write them. */
export const LEVEL_ALIASES: ReadonlyMap<string, LogLevel> = new Map<string, LogLevel>([
  ...(['trace', 'trc', 'silly', 'finest', 'finer'] as const).map((s) => [s, 'trace'] as const),
  ...(['debug', 'dbg', 'verbose', 'fine'] as const).map((s) => [s, 'debug'] as const),
  ...(['info', 'inf', 'information', 'informational', 'notice', 'http'] as const).map(
    (s) => [s, 'info'] as const,
  ),
  ...(['warn', 'warning', 'wrn'] as const).map((s) => [s, 'warn'] as const),
  ...(['error', 'err', 'eror', 'severe'] as const).map((s) => [s, 'error'] as const),
  ...(['fatal', 'ftl', 'critical', 'crit', 'emerg', 'emergency', 'alert', 'panic'] as const).map(
    (s) => [s, 'fatal'] as const,
  ),
]);

const LEVEL_KEY_RANK: ReadonlyMap<string, number> = new Map(LEVEL_KEYS.map((key, rank) => [key, rank]));

/** An entry in the shape of POST /api/logs; ingest validates it like any other. */
export interface LokiLogEntry {
  timestamp: number;
  level: LogLevel;
  service: string;
  message: string;
  attributes: Record<string, unknown>;
  trace_id?: string;
  span_id?: string;
}

export interface MappedLokiPush {
  readonly entries: LokiLogEntry[];
  /** Where entry `entryIndex` came from, for error messages: its stream's name and its index there. */
  locate(entryIndex: number): { stream: string; entry: number };
}

/** Maps a level spelling to a level; null for one that is not known. */
export function levelFromText(text: string): LogLevel | null {
  return LEVEL_ALIASES.get(text.trim().toLowerCase()) ?? null;
}

/** The value of the best-ranked level key among `pairs`, or undefined. */
function levelText(pairs: readonly LabelPair[]): string | undefined {
  let bestRank = LEVEL_KEYS.length;
  let value: string | undefined;
  for (const [name, labelValue] of pairs) {
    const rank = LEVEL_KEY_RANK.get(name.toLowerCase());
    if (rank !== undefined && rank < bestRank && labelValue !== '') {
      bestRank = rank;
      value = labelValue;
    }
  }
  return value;
}

export function serviceOf(labels: readonly LabelPair[]): string {
  for (const candidate of SERVICE_NAME_LABELS) {
    for (const [name, value] of labels) {
      if (name === candidate && value !== '') return value;
    }
  }
  return DEFAULT_SERVICE;
}

/**
 * Labels as an object. A label named `__proto__` is defined as an own key (which entry validation then
 * refuses by name) instead of silently replacing the prototype. Plain objects rather than
 * Object.create(null): V8 keeps those in dictionary mode, which slows every later read of them
 * (validation walks them, the stream codec serialises them).
 */
function toRecord(pairs: readonly LabelPair[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of pairs) {
    if (name === '__proto__') {
      Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
    } else {
      record[name] = value;
    }
  }
  return record;
}

function metadataValue(metadata: readonly LabelPair[], key: string): string | undefined {
  for (const [name, value] of metadata) if (name === key) return value;
  return undefined;
}

function mapStream(stream: LokiPushStream, out: LokiLogEntry[]): void {
  const service = serviceOf(stream.labels);
  const labelLevel = levelText(stream.labels);
  const streamLevel = labelLevel === undefined ? undefined : (levelFromText(labelLevel) ?? DEFAULT_LEVEL);
  const labels = toRecord(stream.labels);
  // Entries without metadata share one attributes object: nothing downstream mutates it.
  const sharedAttributes = { labels };
  for (const entry of stream.entries) {
    const metadata = entry.metadata;
    if (metadata === undefined) {
      out.push({
        timestamp: entry.epochMs,
        level: streamLevel ?? DEFAULT_LEVEL,
        service,
        message: entry.line,
        attributes: sharedAttributes,
      });
      continue;
    }
    const metadataLevel = streamLevel === undefined ? levelText(metadata) : undefined;
    const mapped: LokiLogEntry = {
      timestamp: entry.epochMs,
      level:
        streamLevel ??
        (metadataLevel === undefined ? DEFAULT_LEVEL : (levelFromText(metadataLevel) ?? DEFAULT_LEVEL)),
      service,
      message: entry.line,
      attributes: { labels, structured_metadata: toRecord(metadata) },
    };
    const traceId = metadataValue(metadata, 'trace_id');
    if (traceId !== undefined && TRACE_ID_PATTERN.test(traceId)) mapped.trace_id = traceId;
    const spanId = metadataValue(metadata, 'span_id');
    if (spanId !== undefined && SPAN_ID_PATTERN.test(spanId)) mapped.span_id = spanId;
    out.push(mapped);
  }
}

/** Maps every entry of a decoded push, in order (stream by stream, entry by entry). */
export function mapLokiPush(request: LokiPushRequest): MappedLokiPush {
  const entries: LokiLogEntry[] = [];
  // ends[i]: one past the last entry index of streams[i], for locate().
  const ends: number[] = [];
  for (const stream of request.streams) {
    mapStream(stream, entries);
    ends.push(entries.length);
  }
  return {
    entries,
    locate(entryIndex: number): { stream: string; entry: number } {
      let low = 0;
      let high = ends.length - 1;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (ends[mid] > entryIndex) high = mid;
        else low = mid + 1;
      }
      const start = low === 0 ? 0 : ends[low - 1];
      return { stream: request.streams[low]?.name ?? '{}', entry: entryIndex - start };
    },
  };
}

/** An entry's problem as ingest's validation reports it (see validateLogBatch in log-schema). */
export interface EntryProblem {
  readonly index: number;
  readonly message: string;
}

/**
 * Validation problems of mapped entries, Loki-style: each names the stream (by its labels) and the
 * entry's index in it, e.g. `stream '{job="api"}': entry 7: message must not be empty`. (`attributes`
 * in a message means the labels and structured metadata together.)
 */
export function describeEntryProblems(mapped: MappedLokiPush, problems: readonly EntryProblem[]): string {
  return joinProblems(
    problems.map((problem) => {
      const { stream, entry } = mapped.locate(problem.index);
      return `stream ${streamRef(stream)}: entry ${entry}: ${problem.message}`;
    }),
  );
}
