import type { LogEntryFieldError } from '@logpipe/log-schema';
import type { ElasticsearchErrorCause } from './bulk-errors';
import type { BulkAction, DecodedBulkRequest } from './bulk-request';

/** One item of a bulk answer: `{"create": {...}}` or `{"index": {...}}`, keyed like its action. */
export type BulkResponseItem = Partial<Record<BulkAction, BulkItemResult>>;

export interface BulkItemResult {
  _index: string;
  /** Present when the action named an `_id`; Logpipe does not invent ids for the others. */
  _id?: string;
  status: number;
  result?: 'created';
  error?: ElasticsearchErrorCause;
}

/** The answer to `POST /_bulk`: what the Elasticsearch clients and shippers parse. */
export interface BulkResponse {
  took: number;
  errors: boolean;
  items: BulkResponseItem[];
}

/** What the shared ingest path reports for the entries it refused, by position in `entries`. */
export interface RejectedEntry {
  index: number;
  errors: readonly LogEntryFieldError[];
}

function validationError(errors: readonly LogEntryFieldError[]): ElasticsearchErrorCause {
  const reason = errors.map((error) => `[${error.field}] ${error.message}`).join('; ');
  return {
    type: 'document_parsing_exception',
    reason: `failed to store the document as a log entry: ${reason}`,
  };
}

/** The start of an item's answer, up to its `_index` (`{"create":{"_index":"logs"`), in JSON text. */
function itemHead(action: BulkAction, index: string): string {
  return `{${JSON.stringify(action)}:{"_index":${JSON.stringify(index)}`;
}

const CREATED_TAIL = ',"result":"created"}}';

/**
 * Encodes the bulk answer, as JSON text: every item in request order, 201 `created` for each stored one
 * (`index` and `create` alike: a log store never replaces an entry, and a resent `_id` is stored once),
 * 400 with Elasticsearch's `error: {type, reason}` for each refused one; `errors` is true when any item
 * failed. The text is what JSON.stringify would make of a BulkResponse, keys in the same order.
 *
 * Why text: an answer has an item per document, and shippers send one action for every document, so
 * the stored items without an `_id` all answer the same; their text is made once per run of equal
 * items and repeated, instead of serialising an object per item for every request.
 */
export function encodeBulkResponse(
  request: DecodedBulkRequest,
  rejected: readonly RejectedEntry[],
  tookMs: number,
): string {
  const rejectedByEntry = new Map<number, readonly LogEntryFieldError[]>();
  for (const { index, errors } of rejected) rejectedByEntry.set(index, errors);
  const items = request.items;
  const texts = new Array<string>(items.length);
  let entryIndex = 0;
  let errors = false;
  // The head of the last item's action and index, and the whole answer of a stored item without `_id`.
  let headAction: BulkAction | undefined;
  let headIndex = '';
  let head = '';
  let createdText = '';
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    let error = item.error;
    if (item.entry !== undefined) {
      const fieldErrors = rejectedByEntry.get(entryIndex++);
      if (fieldErrors !== undefined) error = validationError(fieldErrors);
    }
    if (item.action !== headAction || item.index !== headIndex) {
      headAction = item.action;
      headIndex = item.index;
      head = itemHead(item.action, item.index);
      createdText = `${head},"status":201${CREATED_TAIL}`;
    }
    if (error === undefined) {
      texts[i] =
        item.id === undefined
          ? createdText
          : `${head},"status":201,"_id":${JSON.stringify(item.id)}${CREATED_TAIL}`;
      continue;
    }
    errors = true;
    const id = item.id === undefined ? '' : `,"_id":${JSON.stringify(item.id)}`;
    texts[i] = `${head},"status":400${id},"error":${JSON.stringify(error)}}}`;
  }
  return `{"took":${Math.max(0, Math.round(tookMs))},"errors":${errors},"items":[${texts.join(',')}]}`;
}
