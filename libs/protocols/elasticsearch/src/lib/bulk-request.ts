import { isUtf8 } from 'node:buffer';
import secureJson from 'secure-json-parse';
import { ElasticsearchErrorCause, BulkRequestError } from './bulk-errors';
import { isJsonObject } from './document-fields';
import { DEFAULT_MESSAGE_FIELDS, LogEntryInput, documentToEntry } from './document-mapping';
import { eventIdFromElasticsearchId } from './event-id';

// The bulk body (https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk) is NDJSON:
//   action_and_meta_data\n optional_source\n action_and_meta_data\n optional_source\n ...
// `index`, `create` and `update` take a source on the next line, `delete` none. Logpipe stores log
// entries: `index` and `create` are stored, `delete` and `update` are answered with a per-item error.

export type BulkAction = 'create' | 'index' | 'delete' | 'update';
const ACTIONS_WITH_SOURCE: ReadonlySet<string> = new Set(['create', 'index', 'update']);
const STORED_ACTIONS: ReadonlySet<string> = new Set(['create', 'index']);

// Parameters an action's metadata may carry in Elasticsearch 7 and 8. Logpipe reads `_index` and `_id`
// (and `op_type`), and accepts the others without effect: they steer Elasticsearch internals
// (routing, versioning, pipelines) that have no counterpart in a log store. `_type` is what
// Elasticsearch 7 clients and Fluent Bit (without Suppress_Type_Name) still send.
const KNOWN_PARAMETERS: ReadonlySet<string> = new Set([
  '_index',
  '_id',
  '_type',
  'op_type',
  'routing',
  '_routing',
  'pipeline',
  'require_alias',
  'require_data_stream',
  'list_executed_pipelines',
  'dynamic_templates',
  'if_seq_no',
  'if_primary_term',
  'version',
  '_version',
  'version_type',
  '_version_type',
  'retry_on_conflict',
  '_retry_on_conflict',
  '_source',
]);
// Parameters whose value is an object rather than a simple value.
const OBJECT_PARAMETERS: ReadonlySet<string> = new Set(['dynamic_templates', '_source']);

/** One operation of a bulk request, in request order. */
export interface BulkItem {
  readonly action: BulkAction;
  /** The action's `_index`, else the index in the URL. */
  readonly index: string;
  /** The action's `_id` as sent (a number is read as its text, as Elasticsearch does). */
  readonly id: string | undefined;
  /** The entry to ingest, when the item could be mapped to one. */
  readonly entry: LogEntryInput | undefined;
  /** Why the item is refused before ingest (status 400). */
  readonly error: ElasticsearchErrorCause | undefined;
}

export interface BulkDecodeOptions {
  /** The `{index}` of `POST /{index}/_bulk`. */
  readonly urlIndex?: string;
  /** The `_msg_field` query parameter (a comma list); absent or empty: DEFAULT_MESSAGE_FIELDS. */
  readonly messageField?: string;
}

export interface DecodedBulkRequest {
  readonly items: readonly BulkItem[];
  /** The entries of the items that have one, in item order: what the shared ingest path receives. */
  readonly entries: readonly LogEntryInput[];
}

function parseJson(text: string): unknown {
  // secure-json-parse refuses __proto__ and constructor.prototype keys (prototype pollution).
  return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
}

function malformed(line: number, problem: string): BulkRequestError {
  return new BulkRequestError(
    'illegal_argument_exception',
    `Malformed action/metadata line [${line}], ${problem}`,
  );
}

function jsonKind(value: unknown): string {
  if (value === null) return 'VALUE_NULL';
  if (Array.isArray(value)) return 'START_ARRAY';
  switch (typeof value) {
    case 'object':
      return 'START_OBJECT';
    case 'string':
      return 'VALUE_STRING';
    case 'number':
      return 'VALUE_NUMBER';
    default:
      return 'VALUE_BOOLEAN';
  }
}

interface ActionLine {
  action: BulkAction;
  index?: string;
  id?: string;
}

function simpleText(value: unknown, name: string, line: number): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw malformed(line, `expected a simple value for field [${name}] but found [${jsonKind(value)}]`);
}

function readActionLine(text: string, line: number): ActionLine {
  let parsed: unknown;
  try {
    // Plain JSON.parse: only the known parameters are read from an action, nothing of it is kept or
    // merged, so a `__proto__` key here is harmless (sources go through secure-json-parse).
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BulkRequestError(
      'x_content_parse_exception',
      `Malformed action/metadata line [${line}], not valid JSON: ${(error as Error).message}`,
    );
  }
  if (!isJsonObject(parsed)) {
    throw malformed(line, `expected START_OBJECT but found [${jsonKind(parsed)}]`);
  }
  const keys = Object.keys(parsed);
  if (keys.length !== 1) {
    throw malformed(
      line,
      keys.length === 0
        ? 'expected FIELD_NAME but found [END_OBJECT]'
        : `expected one action but found [${keys.length}]: ${keys.slice(0, 5).join(', ')}`,
    );
  }
  const name = keys[0];
  if (name !== 'create' && name !== 'index' && name !== 'delete' && name !== 'update') {
    throw malformed(
      line,
      `expected field [create], [delete], [index] or [update] but found [${name.slice(0, 64)}]`,
    );
  }
  const metadata = parsed[name];
  if (!isJsonObject(metadata)) {
    throw malformed(line, `expected START_OBJECT but found [${jsonKind(metadata)}]`);
  }
  const action: ActionLine = { action: name };
  for (const [parameter, value] of Object.entries(metadata)) {
    if (!KNOWN_PARAMETERS.has(parameter)) {
      throw new BulkRequestError(
        'illegal_argument_exception',
        `Action/metadata line [${line}] contains an unknown parameter [${parameter.slice(0, 64)}]`,
      );
    }
    if (OBJECT_PARAMETERS.has(parameter) || value === null) continue;
    const text = simpleText(value, parameter, line);
    if (parameter === '_index') action.index = text;
    else if (parameter === '_id') action.id = text;
    // `{"index": {"op_type": "create"}}` (pino-elasticsearch's opType) is a create.
    else if (parameter === 'op_type' && name === 'index' && text === 'create') action.action = 'create';
  }
  return action;
}

/** The message fields of a request: `_msg_field` (a comma list, as in VictoriaLogs) or the defaults. */
export function messageFieldsOf(messageField: string | undefined): readonly string[] {
  if (messageField === undefined) return DEFAULT_MESSAGE_FIELDS;
  const fields = messageField
    .split(',')
    .map((field) => field.trim())
    .filter((field) => field !== '');
  return fields.length === 0 ? DEFAULT_MESSAGE_FIELDS : fields;
}

function unsupportedAction(action: BulkAction): ElasticsearchErrorCause {
  return {
    type: 'illegal_argument_exception',
    reason: `Logpipe stores log entries and never changes one: the [${action}] action is not supported; use [create] or [index]`,
  };
}

// Every item has the same shape (one hidden class for all of them), whatever its outcome.
function bulkItem(
  action: BulkAction,
  index: string,
  id: string | undefined,
  entry: LogEntryInput | undefined,
  error: ElasticsearchErrorCause | undefined,
): BulkItem {
  return { action, index, id, entry, error };
}

function sourceItem(
  action: ActionLine,
  index: string,
  sourceText: string,
  line: number,
  messageFields: readonly string[],
): BulkItem {
  const { id } = action;
  if (!STORED_ACTIONS.has(action.action)) {
    return bulkItem(action.action, index, id, undefined, unsupportedAction(action.action));
  }
  let eventId: string | undefined;
  let originalId: string | undefined;
  if (id !== undefined) {
    const mapped = eventIdFromElasticsearchId(id);
    if (!mapped.ok) {
      return bulkItem(action.action, index, id, undefined, {
        type: 'illegal_argument_exception',
        reason: mapped.reason,
      });
    }
    eventId = mapped.eventId;
    if (mapped.hashed) originalId = id;
  }
  let document: unknown;
  try {
    document = parseJson(sourceText);
  } catch (error) {
    return bulkItem(action.action, index, id, undefined, {
      type: 'document_parsing_exception',
      reason: `[${line}] failed to parse: ${(error as Error).message}`,
    });
  }
  if (!isJsonObject(document)) {
    return bulkItem(action.action, index, id, undefined, {
      type: 'document_parsing_exception',
      reason: `[${line}] failed to parse: the source must be a JSON object, found [${jsonKind(document)}]`,
    });
  }
  const entry = documentToEntry(document, { index, eventId, originalId, messageFields, sourceText });
  return bulkItem(action.action, index, id, entry, undefined);
}

function firstNonUtf8Line(body: Buffer): number {
  let line = 1;
  let start = 0;
  for (let i = 0; i <= body.length; i++) {
    if (i === body.length || body[i] === 0x0a) {
      if (!isUtf8(body.subarray(start, i))) return line;
      line++;
      start = i + 1;
    }
  }
  return line;
}

// ignoreBOM keeps a leading BOM in the text, as Buffer#toString did (the line's trim() drops it).
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeText(body: Buffer): string {
  // Buffer#toString would quietly turn invalid bytes into U+FFFD: the stored text would differ from
  // what the client sent, so such a body is refused instead, naming the line. One strict pass (as
  // POST /api/logs decodes its body), and the line is looked for only when it fails.
  try {
    return STRICT_UTF8.decode(body);
  } catch {
    throw new BulkRequestError(
      'x_content_parse_exception',
      `line [${firstNonUtf8Line(body)}] is not valid UTF-8; the bulk body must be UTF-8 NDJSON`,
    );
  }
}

/**
 * The non-blank lines of an NDJSON body, trimmed, with their 1-based line numbers, read in place (no
 * array of every line, no object per line).
 */
class LineReader {
  private pos = 0;
  private lineNumber = 0;
  /** The current line (after next() returned true) and its number. */
  text = '';
  line = 0;

  constructor(private readonly body: string) {}

  next(): boolean {
    const body = this.body;
    while (this.pos <= body.length) {
      let end = body.indexOf('\n', this.pos);
      if (end === -1) end = body.length;
      this.lineNumber++;
      const text = body.slice(this.pos, end).trim();
      this.pos = end + 1;
      if (text !== '') {
        this.text = text;
        this.line = this.lineNumber;
        return true;
      }
    }
    return false;
  }
}

/**
 * Reads a bulk body into its items. Throws BulkRequestError (a whole-request 400, nothing queued) for a
 * body that is not UTF-8, an action line that is not a valid action, an action whose source line is
 * missing, an item without an index, or a body without any action. A source document that is not a
 * JSON object, and the actions Logpipe does not perform (`delete`, `update`), are per-item errors.
 *
 * Blank lines are skipped, `\r\n` line ends are accepted, and the final newline Elasticsearch
 * requires may be missing.
 */
export function decodeBulkRequest(body: Buffer, options: BulkDecodeOptions = {}): DecodedBulkRequest {
  const lines = new LineReader(decodeText(body));
  const messageFields = messageFieldsOf(options.messageField);
  const items: BulkItem[] = [];
  const entries: LogEntryInput[] = [];
  const missingIndex: number[] = [];
  // Shippers repeat one action line for every document ({"create":{"_index":"logs"}}): read it once.
  let previousText: string | undefined;
  let previousAction: ActionLine | undefined;
  while (lines.next()) {
    const actionText = lines.text;
    const actionLineNumber = lines.line;
    const action =
      actionText === previousText && previousAction !== undefined
        ? previousAction
        : readActionLine(actionText, actionLineNumber);
    previousText = actionText;
    previousAction = action;
    const index = action.index ?? options.urlIndex;
    if (index === undefined || index === '') missingIndex.push(actionLineNumber);
    if (!ACTIONS_WITH_SOURCE.has(action.action)) {
      items.push(
        bulkItem(action.action, index ?? '', action.id, undefined, unsupportedAction(action.action)),
      );
      continue;
    }
    if (!lines.next()) {
      throw malformed(
        actionLineNumber,
        `the [${action.action}] action is the last line: its source document must follow on the next line`,
      );
    }
    const item = sourceItem(action, index ?? '', lines.text, lines.line, messageFields);
    items.push(item);
    if (item.entry !== undefined) entries.push(item.entry);
  }
  if (missingIndex.length > 0) {
    const shown = missingIndex.slice(0, 10).map((line) => `[${line}]`);
    throw new BulkRequestError(
      'action_request_validation_exception',
      `Validation Failed: 1: index is missing (action line ${shown.join(', ')}${missingIndex.length > 10 ? ', …' : ''}); name it in the action's _index or in the URL (/elasticsearch/{index}/_bulk);`,
    );
  }
  if (items.length === 0) {
    throw new BulkRequestError(
      'action_request_validation_exception',
      'Validation Failed: 1: no requests added;',
    );
  }
  return { items, entries };
}
