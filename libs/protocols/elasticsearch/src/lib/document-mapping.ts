import { SPAN_ID_PATTERN, TRACE_ID_PATTERN } from '@logpipe/log-schema';
import { DocumentFields, FieldPath, fieldPath } from './document-fields';
import { DEFAULT_LEVEL, levelFromValue } from './level-mapping';
import { timestampForEntry } from './timestamp-mapping';

/**
 * A log entry in the shape of a `POST /api/logs` entry (LogEntryDto), not yet validated: the shared
 * ingest path validates it like any other entry and reports what fails per item.
 */
export interface LogEntryInput {
  id?: string;
  timestamp?: unknown;
  level: string;
  service: string;
  message: string;
  attributes?: Record<string, unknown>;
  trace_id?: string;
  span_id?: string;
}

/** The fields a document's message is read from, first present wins, unless `_msg_field` names others. */
export const DEFAULT_MESSAGE_FIELDS: readonly string[] = ['message', 'msg', 'log', '_msg'];
export const DEFAULT_MESSAGE_PATHS: readonly FieldPath[] = DEFAULT_MESSAGE_FIELDS.map(fieldPath);
export const TIMESTAMP_FIELDS: readonly string[] = ['@timestamp', 'timestamp', 'time'];
export const LEVEL_FIELDS: readonly string[] = ['log.level', 'level'];
export const SERVICE_FIELD = 'service.name';
// ECS names first, then the OpenTelemetry-style names pino/winston instrumentations write.
const TRACE_ID_FIELDS: readonly string[] = ['trace.id', 'trace_id'];
const SPAN_ID_FIELDS: readonly string[] = ['span.id', 'span_id'];
// Split once, not per document.
const TIMESTAMP_PATHS = TIMESTAMP_FIELDS.map(fieldPath);
const LEVEL_PATHS = LEVEL_FIELDS.map(fieldPath);
const SERVICE_PATHS = [fieldPath(SERVICE_FIELD)];
const TRACE_ID_PATHS = TRACE_ID_FIELDS.map(fieldPath);
const SPAN_ID_PATHS = SPAN_ID_FIELDS.map(fieldPath);

export interface DocumentContext {
  /** The item's index: the action's `_index`, else the index in the URL. */
  readonly index: string;
  /** The event id the item's `_id` maps to, if it has one. */
  readonly eventId?: string;
  /** The item's `_id` when it was hashed into the event id: kept as the attribute `_id`. */
  readonly originalId?: string;
  /** The fields the message is read from, first present wins (DEFAULT_MESSAGE_PATHS or `_msg_field`'s). */
  readonly messageFields: readonly FieldPath[];
  /** The source line as sent: the message of a document that has none of the message fields. */
  readonly sourceText: string;
}

function messageText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (value === null || value === undefined) return undefined;
  // A number, boolean, object or array in the message field is still the message, as JSON text.
  return JSON.stringify(value);
}

// The loops below are indexed: a for-of that V8 does not optimise allocates per step, per document.
function takeMessage(fields: DocumentFields, context: DocumentContext): string {
  const paths = context.messageFields;
  for (let i = 0; i < paths.length; i++) {
    const value = fields.find(paths[i]);
    if (value === undefined) continue;
    const text = messageText(value);
    if (text === undefined) continue;
    fields.takeFound();
    return text;
  }
  // Elasticsearch takes any JSON document: one without a message field is kept whole, as sent.
  return context.sourceText;
}

function takeFirst<T>(
  fields: DocumentFields,
  paths: readonly FieldPath[],
  read: (value: unknown) => T | undefined,
): T | undefined {
  for (let i = 0; i < paths.length; i++) {
    const found = fields.find(paths[i]);
    if (found === undefined) continue;
    const value = read(found);
    if (value !== undefined) {
      fields.takeFound();
      return value;
    }
  }
  return undefined;
}

const matching = (pattern: RegExp) => (value: unknown) =>
  typeof value === 'string' && pattern.test(value) ? value : undefined;
// Made once, not per document.
const traceIdValue = matching(TRACE_ID_PATTERN);
const spanIdValue = matching(SPAN_ID_PATTERN);
// Mapping is synchronous and never re-entered, so one reader serves every document.
const FIELDS = new DocumentFields();
const nonEmptyString = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Maps one bulk source document onto a log entry. The fields that become the entry's own (timestamp,
 * level, service, message, trace and span ids) are left out of the rest, and what remains, keys exactly as sent (dotted keys stay dotted, nested objects stay nested), is `attributes`.
 *
 * - timestamp: the first of `@timestamp`, `timestamp`, `time` that is present, ISO-8601 or epoch ms (a
 *   value that is not a date is refused by the entry's rules, naming the field, as Elasticsearch's date
 *   mapping would refuse it); none: the receipt time.
 * - level: `log.level` (ECS), else `level`; names and pino/bunyan numbers (see level-mapping.ts). A value
 *   Logpipe does not recognise stays in attributes and the level is `info`.
 * - service: `service.name` (ECS), else the index name.
 * - message: the first non-empty field of `messageFields`; else the whole source line as sent.
 */
export function documentToEntry(document: Record<string, unknown>, context: DocumentContext): LogEntryInput {
  const fields = FIELDS.reset(document);
  let timestamp: unknown;
  for (let i = 0; i < TIMESTAMP_PATHS.length; i++) {
    const value = fields.find(TIMESTAMP_PATHS[i]);
    if (value === undefined) continue;
    timestamp = timestampForEntry(value);
    fields.takeFound();
    break;
  }
  const level = takeFirst(fields, LEVEL_PATHS, levelFromValue) ?? DEFAULT_LEVEL;
  const service = takeFirst(fields, SERVICE_PATHS, nonEmptyString) ?? context.index;
  const traceId = takeFirst(fields, TRACE_ID_PATHS, traceIdValue);
  const spanId = takeFirst(fields, SPAN_ID_PATHS, spanIdValue);
  const message = takeMessage(fields, context);
  let attributes = fields.remaining();
  if (context.originalId !== undefined) attributes = { ...attributes, _id: context.originalId };
  // One object of the shape a POST /api/logs entry has (its optional fields undefined rather than absent,
  // which the entry's rules read alike): validation then meets the same shape for every document.
  const entry: LogEntryInput = { timestamp, level, service, message, attributes };
  if (context.eventId !== undefined) entry.id = context.eventId;
  if (traceId !== undefined) entry.trace_id = traceId;
  if (spanId !== undefined) entry.span_id = spanId;
  return entry;
}
