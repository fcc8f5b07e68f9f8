import { DocumentFields, FieldPath, fieldPath } from './document-fields';
import { nonEmptyString, spanIdValue, traceIdValue } from './field-values';
import { levelFromValue } from './level-mapping';
import { LogEntryInput, logEntryInput } from './log-entry-input';
import { mapInOnePass } from './one-pass-mapping';
import { timestampForEntry } from './timestamp-mapping';

export type { LogEntryInput } from './log-entry-input';

/** The fields a document's message is read from, first present wins, unless `_msg_field` names others. */
export const DEFAULT_MESSAGE_FIELDS: readonly string[] = ['message', 'msg', 'log', '_msg'];
export const DEFAULT_MESSAGE_PATHS: readonly FieldPath[] = DEFAULT_MESSAGE_FIELDS.map(fieldPath);
export const TIMESTAMP_FIELDS: readonly string[] = ['@timestamp', 'timestamp', 'time'];
export const LEVEL_FIELDS: readonly string[] = ['log.level', 'level'];
export const SERVICE_FIELD = 'service.name';
// ECS names first, then the OpenTelemetry-style names pino/winston instrumentations write.
export const TRACE_ID_FIELDS: readonly string[] = ['trace.id', 'trace_id'];
export const SPAN_ID_FIELDS: readonly string[] = ['span.id', 'span_id'];
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

// Mapping is synchronous and never re-entered, so one reader serves every document.
const FIELDS = new DocumentFields();

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
 *
 * The documents shippers send nearly always (a non-empty string `message`, default message fields)
 * take a shorter way to the same entry (one-pass-mapping.ts); any other takes the general search.
 */
export function documentToEntry(document: Record<string, unknown>, context: DocumentContext): LogEntryInput {
  if (context.messageFields === DEFAULT_MESSAGE_PATHS) {
    const entry = mapInOnePass(document, context);
    if (entry !== undefined) return entry;
  }
  return searchedDocumentToEntry(document, context);
}

/** The general mapping: any document, any message fields, each field searched for path by path. */
export function searchedDocumentToEntry(
  document: Record<string, unknown>,
  context: DocumentContext,
): LogEntryInput {
  const fields = FIELDS.reset(document);
  let timestamp: unknown;
  for (let i = 0; i < TIMESTAMP_PATHS.length; i++) {
    const value = fields.find(TIMESTAMP_PATHS[i]);
    if (value === undefined) continue;
    timestamp = timestampForEntry(value);
    fields.takeFound();
    break;
  }
  const level = takeFirst(fields, LEVEL_PATHS, levelFromValue);
  const service = takeFirst(fields, SERVICE_PATHS, nonEmptyString);
  const traceId = takeFirst(fields, TRACE_ID_PATHS, traceIdValue);
  const spanId = takeFirst(fields, SPAN_ID_PATHS, spanIdValue);
  const message = takeMessage(fields, context);
  return logEntryInput(context, timestamp, level, service, message, fields.remaining(), traceId, spanId);
}
