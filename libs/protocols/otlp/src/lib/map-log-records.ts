/**
 * OTLP LogRecord -> Logpipe log entry (the shape of a `POST /api/logs` entry, validated afterwards by the
 * shared ingest path exactly like one).
 *
 * | Log entry field | Taken from |
 * |---|---|
 * | `service` | resource attribute `service.name` (a string; a number or boolean as text), else `unknown_service` |
 * | `level` | `severity_number`: 1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal; else `severity_text` (case-insensitive, see SEVERITY_TEXT_LEVELS, a trailing 2-4 ignored: `INFO2`); else `info` |
 * | `message` | `body`: a string as is; a number or boolean as its JSON text; bytes as base64; a kvlist or array as JSON text (its structure also in `attributes.otel.body`); an absent or empty body: `event_name`, else `(no body)` |
 * | `timestamp` | `time_unix_nano`, else `observed_time_unix_nano`, else absent (ingest uses the receipt time); epoch milliseconds, digits past the millisecond truncated |
 * | `trace_id`, `span_id` | `trace_id`, `span_id` as lower-case hex; empty or all zeros means absent |
 * | `attributes` | the record's attributes at the top level, keys as sent (`http.route` stays one key); a record attribute named `otel` moves to `otel.attribute` |
 * | `attributes.otel.resource` | the resource's attributes, except a string `service.name` (it is the `service` field) |
 * | `attributes.otel.scope` | `{ name, version, attributes }` of the instrumentation scope, empty parts left out |
 * | `attributes.otel.body` | a kvlist or array body, as a JSON object or array |
 * | `attributes.otel.severity_number` | when set and not the first of its level's range (1, 5, 9, 13, 17, 21), which `level` already says |
 * | `attributes.otel.severity_text` | when set and not the level's name in any letter case (`WARN` for warn is left out, `Warning` kept) |
 * | `attributes.otel.event_name`, `.flags`, `.dropped_attributes_count` | as sent, when not 0/empty |
 *
 * AnyValues become JSON: string, bool and double as themselves (NaN and the infinities as the strings
 * "NaN", "Infinity", "-Infinity"), int64 as a number when it is a safe integer else as a decimal string,
 * bytes as base64, array -> array, kvlist -> object, an empty AnyValue -> null.
 * Not kept: `observed_time_unix_nano` when `time_unix_nano` is set, schema URLs, resource and scope
 * dropped-attribute counts, entity references.
 */
import type { LogLevel } from '@logpipe/log-schema';
import { isAbsentId, setOwn } from './object-keys';
import { OtlpAttributes, OtlpLogRecord, OtlpLogsRequest, OtlpValue } from './otlp-logs.types';
import { NO_TIME } from './unix-time';

/** OpenTelemetry's service name when a resource names none. */
export const UNKNOWN_SERVICE = 'unknown_service';
/** The level of a record with neither a severity number in 1-24 nor a known severity text. */
export const DEFAULT_LEVEL: LogLevel = 'info';
/** The message of a record with no body (or an empty string) and no event name: a log entry needs one. */
export const NO_BODY_MESSAGE = '(no body)';

/** A log entry as `POST /api/logs` takes it: what LogIngestService validates. */
export interface OtlpLogEntry {
  timestamp?: number;
  level: LogLevel;
  service: string;
  message: string;
  attributes?: Record<string, unknown>;
  trace_id?: string;
  span_id?: string;
}

/** The entries of a request, in request order, and where each came from (for error messages). */
export interface OtlpLogEntries {
  entries: OtlpLogEntry[];
  /** `resourceLogs[r].scopeLogs[s].logRecords[l]` of the entry at `index`. */
  pathOf(index: number): string;
}

const LEVEL_BY_SEVERITY_GROUP: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
/** The first SeverityNumber of each level's range (TRACE=1, DEBUG=5, ...): the one the level alone implies. */
const BASE_SEVERITY_NUMBER: Readonly<Record<LogLevel, number>> = {
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
};

/** severity_text spellings (lower-cased) of common logging libraries and syslog, by level. */
export const SEVERITY_TEXT_LEVELS: ReadonlyMap<string, LogLevel> = new Map<string, LogLevel>([
  ['trace', 'trace'],
  ['trc', 'trace'],
  ['verbose', 'trace'],
  ['finest', 'trace'],
  ['debug', 'debug'],
  ['dbg', 'debug'],
  ['fine', 'debug'],
  ['finer', 'debug'],
  ['info', 'info'],
  ['inf', 'info'],
  ['information', 'info'],
  ['informational', 'info'],
  ['notice', 'info'],
  ['warn', 'warn'],
  ['wrn', 'warn'],
  ['warning', 'warn'],
  ['error', 'error'],
  ['err', 'error'],
  ['eror', 'error'],
  ['severe', 'error'],
  ['fatal', 'fatal'],
  ['ftl', 'fatal'],
  ['critical', 'fatal'],
  ['crit', 'fatal'],
  ['alert', 'fatal'],
  ['emerg', 'fatal'],
  ['emergency', 'fatal'],
  ['panic', 'fatal'],
]);

export function levelOf(severityNumber: number, severityText: string): LogLevel {
  if (severityNumber >= 1 && severityNumber <= 24) {
    return LEVEL_BY_SEVERITY_GROUP[Math.floor((severityNumber - 1) / 4)];
  }
  if (severityText !== '') {
    const text = severityText.trim().toLowerCase();
    const level = SEVERITY_TEXT_LEVELS.get(text) ?? SEVERITY_TEXT_LEVELS.get(text.replace(/[2-4]$/, ''));
    if (level !== undefined) return level;
  }
  return DEFAULT_LEVEL;
}

export function serviceOf(resourceAttributes: OtlpAttributes): string {
  const name = Object.hasOwn(resourceAttributes, 'service.name')
    ? resourceAttributes['service.name']
    : undefined;
  if (typeof name === 'string' && name !== '') return name;
  if (typeof name === 'number' || typeof name === 'boolean') return String(name);
  return UNKNOWN_SERVICE;
}

function isStructured(value: OtlpValue | undefined): value is OtlpValue[] | { [key: string]: OtlpValue } {
  return typeof value === 'object' && value !== null;
}

function messageOf(record: OtlpLogRecord): string {
  const { body } = record;
  if (typeof body === 'string' && body !== '') return body;
  if (typeof body === 'number' || typeof body === 'boolean') return String(body);
  if (isStructured(body)) return JSON.stringify(body);
  return record.eventName !== '' ? record.eventName : NO_BODY_MESSAGE;
}

function timestampOf(record: OtlpLogRecord): number | undefined {
  const millis = record.timeUnixMs !== NO_TIME ? record.timeUnixMs : record.observedTimeUnixMs;
  return millis === NO_TIME ? undefined : millis;
}

function isEmpty(object: object): boolean {
  for (const key in object) {
    if (Object.hasOwn(object, key)) return false;
  }
  return true;
}

/** The resource's attributes, less a `service.name` that the service field already holds as is. */
function withoutServiceName(attributes: OtlpAttributes, service: string): OtlpAttributes | undefined {
  let rest: OtlpAttributes = attributes;
  if (Object.hasOwn(attributes, 'service.name') && attributes['service.name'] === service) {
    rest = { ...attributes };
    delete rest['service.name'];
  }
  return isEmpty(rest) ? undefined : rest;
}

/** The `otel` part of a request's scope, shared by its records (nothing mutates it). */
function scopeOf(scope: {
  name: string;
  version: string;
  attributes: OtlpAttributes;
}): OtlpAttributes | undefined {
  const out: OtlpAttributes = {};
  if (scope.name !== '') out['name'] = scope.name;
  if (scope.version !== '') out['version'] = scope.version;
  if (!isEmpty(scope.attributes)) out['attributes'] = scope.attributes;
  return isEmpty(out) ? undefined : out;
}

/** The `otel` parts a (resource, scope) group's records share: resource attributes and scope. */
function groupOtelOf(
  resource: OtlpAttributes | undefined,
  scope: OtlpAttributes | undefined,
): Record<string, unknown> | undefined {
  if (resource === undefined && scope === undefined) return undefined;
  const otel: Record<string, unknown> = {};
  if (resource !== undefined) otel['resource'] = resource;
  if (scope !== undefined) otel['scope'] = scope;
  return otel;
}

/**
 * `otel` with `key` set: `otel` itself, or, for a record's first part of its own, a copy of its group's
 * parts (so the group's object is never changed).
 */
function withOtelPart(
  otel: Record<string, unknown> | undefined,
  groupOtel: Record<string, unknown> | undefined,
  key: string,
  value: unknown,
): Record<string, unknown> {
  const target = otel ?? (groupOtel === undefined ? {} : { ...groupOtel });
  target[key] = value;
  return target;
}

function attributesOf(
  record: OtlpLogRecord,
  level: LogLevel,
  groupOtel: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  // Only what the entry's own fields do not already say: every key here is validated and stored per
  // record, and the bench shows attribute size in ingest's CPU time.
  let otel: Record<string, unknown> | undefined;
  if (isStructured(record.body)) otel = withOtelPart(otel, groupOtel, 'body', record.body);
  if (record.severityNumber !== 0 && record.severityNumber !== BASE_SEVERITY_NUMBER[level]) {
    otel = withOtelPart(otel, groupOtel, 'severity_number', record.severityNumber);
  }
  if (record.severityText !== '' && record.severityText.toLowerCase() !== level) {
    otel = withOtelPart(otel, groupOtel, 'severity_text', record.severityText);
  }
  if (record.eventName !== '') otel = withOtelPart(otel, groupOtel, 'event_name', record.eventName);
  if (record.flags !== 0) otel = withOtelPart(otel, groupOtel, 'flags', record.flags);
  if (record.droppedAttributesCount !== 0) {
    otel = withOtelPart(otel, groupOtel, 'dropped_attributes_count', record.droppedAttributesCount);
  }

  let attributes: Record<string, unknown>;
  if (!Object.hasOwn(record.attributes, 'otel')) {
    // The record's own attributes object (the decoder made it for this record alone) becomes the
    // entry's: a copy per record only cost allocation and GC.
    attributes = record.attributes;
  } else {
    attributes = {};
    for (const key of Object.keys(record.attributes)) {
      if (key === 'otel') {
        otel = withOtelPart(otel, groupOtel, 'attribute', record.attributes[key]);
      } else {
        setOwn(attributes, key, record.attributes[key]);
      }
    }
  }
  // A record with nothing of its own under `otel` (an SDK's usual record: a body string, a severity its
  // level implies) takes its group's object rather than a copy per record: nothing mutates it, and what
  // OTLP allocates per record is most of its cost against POST /api/logs (issue 10). `otel` is added
  // last, as a copy would.
  const recordOtel = otel ?? groupOtel;
  if (recordOtel !== undefined) attributes['otel'] = recordOtel;
  return isEmpty(attributes) ? undefined : attributes;
}

function entryOf(
  record: OtlpLogRecord,
  service: string,
  groupOtel: Record<string, unknown> | undefined,
): OtlpLogEntry {
  const level = levelOf(record.severityNumber, record.severityText);
  const entry: OtlpLogEntry = { level, service, message: messageOf(record) };
  const timestamp = timestampOf(record);
  if (timestamp !== undefined) entry.timestamp = timestamp;
  const attributes = attributesOf(record, level, groupOtel);
  if (attributes !== undefined) entry.attributes = attributes;
  if (!isAbsentId(record.traceId)) entry.trace_id = record.traceId;
  if (!isAbsentId(record.spanId)) entry.span_id = record.spanId;
  return entry;
}

/**
 * Maps every LogRecord of the request onto a log entry, in request order (see the table above). The
 * entries take over the records' attribute objects: map a decoded request once.
 */
export function mapExportLogsRequest(request: OtlpLogsRequest): OtlpLogEntries {
  const entries: OtlpLogEntry[] = [];
  // Index of the first entry of each (resource, scope) group, to name a record's position on demand
  // instead of building a path string for every record.
  const groups: { first: number; resource: number; scope: number }[] = [];
  request.resourceLogs.forEach((resourceLogs, r) => {
    const resourceAttributes = resourceLogs.resource.attributes;
    const service = serviceOf(resourceAttributes);
    const resource = withoutServiceName(resourceAttributes, service);
    resourceLogs.scopeLogs.forEach((scopeLogs, s) => {
      groups.push({ first: entries.length, resource: r, scope: s });
      const groupOtel = groupOtelOf(resource, scopeOf(scopeLogs.scope));
      for (const record of scopeLogs.logRecords) {
        entries.push(entryOf(record, service, groupOtel));
      }
    });
  });
  return {
    entries,
    pathOf(index: number): string {
      let group = groups[0];
      for (const candidate of groups) {
        if (candidate.first > index) break;
        // A group without records starts where the next one does; the last one at or before wins.
        group = candidate;
      }
      return `resourceLogs[${group.resource}].scopeLogs[${group.scope}].logRecords[${index - group.first}]`;
    },
  };
}
