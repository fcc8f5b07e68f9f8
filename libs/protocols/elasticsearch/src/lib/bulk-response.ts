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

/**
 * Encodes the bulk answer: every item in request order, 201 `created` for each stored one (`index`
 * and `create` alike: a log store never replaces an entry, and a resent `_id` is stored once), 400
 * with Elasticsearch's `error: {type, reason}` for each refused one; `errors` is true when any item
 * failed.
 */
export function encodeBulkResponse(
  request: DecodedBulkRequest,
  rejected: readonly RejectedEntry[],
  tookMs: number,
): BulkResponse {
  const rejectedByEntry = new Map<number, readonly LogEntryFieldError[]>();
  for (const { index, errors } of rejected) rejectedByEntry.set(index, errors);
  let entryIndex = 0;
  let errors = false;
  // Shippers send one action for every document: the stored items without an `_id` all answer the
  // same, so consecutive ones share one (never modified) answer object instead of two objects each.
  let shared: { action: BulkAction; index: string; item: BulkResponseItem } | undefined;
  const items = request.items.map((item): BulkResponseItem => {
    let error = item.error;
    if (item.entry !== undefined) {
      const fieldErrors = rejectedByEntry.get(entryIndex++);
      if (fieldErrors !== undefined) error = validationError(fieldErrors);
    }
    if (error === undefined && item.id === undefined) {
      if (shared === undefined || shared.action !== item.action || shared.index !== item.index) {
        shared = {
          action: item.action,
          index: item.index,
          item: { [item.action]: { _index: item.index, status: 201, result: 'created' } },
        };
      }
      return shared.item;
    }
    const result: BulkItemResult = { _index: item.index, status: 201 };
    if (item.id !== undefined) result._id = item.id;
    if (error === undefined) {
      result.result = 'created';
    } else {
      result.status = 400;
      result.error = error;
      errors = true;
    }
    return { [item.action]: result };
  });
  return { took: Math.max(0, Math.round(tookMs)), errors, items };
}
