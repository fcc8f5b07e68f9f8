import { SPAN_ID_PATTERN, TRACE_ID_PATTERN } from '@logpipe/log-schema';
import { DocumentFields } from './document-fields';
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
export const TIMESTAMP_FIELDS: readonly string[] = ['@timestamp', 'timestamp', 'time'];
export const LEVEL_FIELDS: readonly string[] = ['log.level', 'level'];
export const SERVICE_FIELD = 'service.name';
// ECS names first, then the OpenTelemetry-style names pino/winston instrumentations write.
const TRACE_ID_FIELDS: readonly string[] = ['trace.id', 'trace_id'];
const SPAN_ID_FIELDS: readonly string[] = ['span.id', 'span_id'];

export interface DocumentContext {
  /** The item's index: the action's `_index`, else the index in the URL. */
  readonly index: string;
  /** The event id the item's `_id` maps to, if it has one. */
  readonly eventId?: string;
  /** The item's `_id` when it was hashed into the event id: kept as the attribute `_id`. */
  readonly originalId?: string;
  readonly messageFields: readonly string[];
  /** The source line as sent: the message of a document that has none of the message fields. */
  readonly sourceText: string;
}

function messageText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (value === null || value === undefined) return undefined;
  // A number, boolean, object or array in the message field is still the message, as JSON text.
  return JSON.stringify(value);
}

function takeMessage(fields: DocumentFields, context: DocumentContext): string {
  for (const path of context.messageFields) {
    const value = fields.find(path);
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
  paths: readonly string[],
  read: (value: unknown) => T | undefined,
): T | undefined {
  for (const path of paths) {
    const found = fields.find(path);
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
const SERVICE_FIELDS: readonly string[] = [SERVICE_FIELD];
// Mapping is synchronous and never re-entered, so one reader serves every document.
const FIELDS = new DocumentFields({});
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
  const entry: LogEntryInput = { level: DEFAULT_LEVEL, service: context.index, message: '' };
  if (context.eventId !== undefined) entry.id = context.eventId;

  for (const path of TIMESTAMP_FIELDS) {
    const value = fields.find(path);
    if (value === undefined) continue;
    entry.timestamp = timestampForEntry(value);
    fields.takeFound();
    break;
  }
  entry.level = takeFirst(fields, LEVEL_FIELDS, levelFromValue) ?? DEFAULT_LEVEL;
  entry.service = takeFirst(fields, SERVICE_FIELDS, nonEmptyString) ?? context.index;
  const traceId = takeFirst(fields, TRACE_ID_FIELDS, traceIdValue);
  if (traceId !== undefined) entry.trace_id = traceId;
  const spanId = takeFirst(fields, SPAN_ID_FIELDS, spanIdValue);
  if (spanId !== undefined) entry.span_id = spanId;
  entry.message = takeMessage(fields, context);

  let attributes = fields.remaining();
  if (context.originalId !== undefined) attributes = { ...attributes, _id: context.originalId };
  if (attributes !== undefined) entry.attributes = attributes;
  return entry;
}
