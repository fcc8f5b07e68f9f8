import { isAscii, isUtf8 } from 'node:buffer';
import { mayHoldPrototypeKeys, parseJsonRefusingPrototypeKeys } from '@logpipe/protocol-wire-text';
import { ElasticsearchErrorCause, BulkRequestError } from './bulk-errors';
import { FieldPath, fieldPath, isJsonObject } from './document-fields';
import { DEFAULT_MESSAGE_PATHS, DocumentContext, LogEntryInput, documentToEntry } from './document-mapping';
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

/**
 * An action line read once for every item that repeats it (shippers send the same
 * {"create":{"_index":"logs"}} before each document): its text, what it says, and what its `_id` maps to.
 */
interface ReadAction extends ActionLine {
  readonly text: string;
  /** The `_index`, else the URL's index ('' when neither names one). */
  readonly resolvedIndex: string;
  /** The event id the `_id` maps to, the `_id` kept as an attribute when it was hashed, or why it cannot be stored. */
  readonly eventId: string | undefined;
  readonly originalId: string | undefined;
  readonly idError: ElasticsearchErrorCause | undefined;
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
  for (const parameter in metadata) {
    const value = metadata[parameter];
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
export function messageFieldsOf(messageField: string | undefined): readonly FieldPath[] {
  if (messageField === undefined) return DEFAULT_MESSAGE_PATHS;
  const fields = messageField
    .split(',')
    .map((field) => field.trim())
    .filter((field) => field !== '');
  return fields.length === 0 ? DEFAULT_MESSAGE_PATHS : fields.map(fieldPath);
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

function readAction(text: string, line: number, urlIndex: string | undefined): ReadAction {
  const { action, index, id } = readActionLine(text, line);
  let eventId: string | undefined;
  let originalId: string | undefined;
  let idError: ElasticsearchErrorCause | undefined;
  if (id !== undefined) {
    const mapped = eventIdFromElasticsearchId(id);
    if (mapped.ok) {
      eventId = mapped.eventId;
      if (mapped.hashed) originalId = id;
    } else {
      idError = { type: 'illegal_argument_exception', reason: mapped.reason };
    }
  }
  const resolvedIndex = index ?? urlIndex ?? '';
  return { action, index, id, text, resolvedIndex, eventId, originalId, idError };
}

/** The DocumentContext of the item being mapped: one object per request, updated for each item. */
class ItemContext implements DocumentContext {
  index = '';
  eventId: string | undefined = undefined;
  originalId: string | undefined = undefined;
  sourceText = '';

  constructor(
    readonly messageFields: readonly FieldPath[],
    /** mayHoldPrototypeKeys of the body: when false, every line is parsed without the search for them. */
    readonly mayHoldKeys: boolean,
  ) {}
}

function sourceItem(action: ReadAction, sourceText: string, line: number, context: ItemContext): BulkItem {
  const index = action.resolvedIndex;
  if (!STORED_ACTIONS.has(action.action)) {
    return bulkItem(action.action, index, action.id, undefined, unsupportedAction(action.action));
  }
  if (action.idError !== undefined) {
    return bulkItem(action.action, index, action.id, undefined, action.idError);
  }
  let document: unknown;
  try {
    document = parseJsonRefusingPrototypeKeys(sourceText, context.mayHoldKeys);
  } catch (error) {
    return bulkItem(action.action, index, action.id, undefined, {
      type: 'document_parsing_exception',
      reason: `[${line}] failed to parse: ${(error as Error).message}`,
    });
  }
  if (!isJsonObject(document)) {
    return bulkItem(action.action, index, action.id, undefined, {
      type: 'document_parsing_exception',
      reason: `[${line}] failed to parse: the source must be a JSON object, found [${jsonKind(document)}]`,
    });
  }
  context.index = index;
  context.eventId = action.eventId;
  context.originalId = action.originalId;
  context.sourceText = sourceText;
  return bulkItem(action.action, index, action.id, documentToEntry(document, context), undefined);
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

/**
 * How the body's lines become strings: `latin1` (a byte per character, a plain copy) when every byte is
 * ASCII, the common case, else `utf8`. A body that is not UTF-8 is refused, naming the line: decoding
 * it leniently would quietly turn invalid bytes into U+FFFD, and the stored text would differ from what
 * the client sent.
 */
function lineEncoding(body: Buffer): 'latin1' | 'utf8' {
  if (isAscii(body)) return 'latin1';
  if (isUtf8(body)) return 'utf8';
  throw new BulkRequestError(
    'x_content_parse_exception',
    `line [${firstNonUtf8Line(body)}] is not valid UTF-8; the bulk body must be UTF-8 NDJSON`,
  );
}

/** A byte that is ASCII and not whitespace: a line that starts and ends with one has nothing to trim. */
function isPlainAscii(byte: number): boolean {
  return byte > 0x20 && byte < 0x80;
}

function sameBytes(body: Buffer, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (body[a + i] !== body[b + i]) return false;
  return true;
}

/**
 * The non-blank lines of an NDJSON body, trimmed, with their 1-based line numbers, read in place: one
 * string per line, made from the line's own bytes (no string of the whole body, no array of lines).
 *
 * Why not decode the body and split the text: a 1,000-document body is a string of some 360 kB, which
 * V8 allocates as a large object, fresh memory every request; measured (tools/bench/protocol-cost.mjs),
 * that cost more CPU than decoding, parsing and mapping a line each. Splitting at `\n` bytes first is
 * exact: in UTF-8 the byte 0x0a is never part of another character.
 */
class LineReader {
  private pos = 0;
  private lineNumber = 0;
  /** The current line (after next() returned true) and its number. */
  text = '';
  line = 0;
  /**
   * Where the current line's text lies in the body when it is those bytes exactly (nothing was trimmed
   * but a `\r`), else -1: what nextLike() compares.
   */
  textStart = -1;
  textEnd = -1;

  private readonly encoding: 'latin1' | 'utf8';

  constructor(private readonly body: Buffer) {
    this.encoding = lineEncoding(body);
  }

  next(): boolean {
    const body = this.body;
    while (this.pos <= body.length) {
      const start = this.pos;
      let end = body.indexOf(0x0a, start);
      if (end === -1) end = body.length;
      this.lineNumber++;
      this.pos = end + 1;
      let last = end;
      if (last > start && body[last - 1] === 0x0d) last--;
      if (last > start && isPlainAscii(body[start]) && isPlainAscii(body[last - 1])) {
        // The common line: nothing for trim() to remove but the `\r`, so no second string.
        this.text = body.toString(this.encoding, start, last);
        this.textStart = start;
        this.textEnd = last;
        this.line = this.lineNumber;
        return true;
      }
      const text = body.toString(this.encoding, start, end).trim();
      if (text !== '') {
        this.text = text;
        this.textStart = -1;
        this.textEnd = -1;
        this.line = this.lineNumber;
        return true;
      }
    }
    return false;
  }

  /**
   * As next(), but when the next line has the very bytes of the line at [start, end) of this body (the
   * action line a shipper repeats before every document), with or without a `\r`, no string is made:
   * `text` is then `text` as given. Any other line is read by next().
   */
  nextLike(start: number, end: number, text: string): boolean {
    const body = this.body;
    const from = this.pos;
    const length = end - start;
    if (start >= 0 && from + length <= body.length && sameBytes(body, start, from, length)) {
      let after = from + length;
      if (body[after] === 0x0d) after++;
      if (after >= body.length || body[after] === 0x0a) {
        this.lineNumber++;
        this.pos = after + 1;
        this.text = text;
        this.textStart = from;
        this.textEnd = from + length;
        this.line = this.lineNumber;
        return true;
      }
    }
    return this.next();
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
  const lines = new LineReader(body);
  const context = new ItemContext(messageFieldsOf(options.messageField), mayHoldPrototypeKeys(body));
  const items: BulkItem[] = [];
  const entries: LogEntryInput[] = [];
  const missingIndex: number[] = [];
  let action: ReadAction | undefined;
  // Where the current action's line lies in the body (-1: not as plain bytes), for nextLike().
  let actionStart = -1;
  let actionEnd = -1;
  while (action === undefined ? lines.next() : lines.nextLike(actionStart, actionEnd, action.text)) {
    const actionLineNumber = lines.line;
    if (action === undefined || lines.text !== action.text) {
      action = readAction(lines.text, actionLineNumber, options.urlIndex);
      actionStart = lines.textStart;
      actionEnd = lines.textEnd;
    }
    if (action.resolvedIndex === '') missingIndex.push(actionLineNumber);
    if (!ACTIONS_WITH_SOURCE.has(action.action)) {
      items.push(
        bulkItem(action.action, action.resolvedIndex, action.id, undefined, unsupportedAction(action.action)),
      );
      continue;
    }
    if (!lines.next()) {
      throw malformed(
        actionLineNumber,
        `the [${action.action}] action is the last line: its source document must follow on the next line`,
      );
    }
    const item = sourceItem(action, lines.text, lines.line, context);
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
