import {
  chunkEntryId,
  decodeStreamValue,
  encodeLogEntry,
  LOG_CHUNK_CODEC_VERSION,
  LOG_SUBMITTED_CHUNK_CODEC_VERSION,
  type LogEntry,
  LogEntryDecodeError,
} from '@logpipe/log-schema';
import { decodeLogRow, encodedRowStreamId, encodeLogRow, type EncodedLogRow } from '@logpipe/log-store';
import type { DeadLetterItem, SettledMessage, StreamMessage } from '@logpipe/stream-client';

/**
 * What the worker does with one stream message: the rows it stores and the dead letters it writes. The
 * message is settled (acknowledged, its dead letters written, its entries taken off the shard's entry
 * counter) only once every one of its entries is stored or dead-lettered.
 */
export interface MessagePlan extends SettledMessage {
  /**
   * rows to insert, encoded as the writer sends them (encoded-log-row.ts: only this string per row lives
   * until the commit), each with its own position: the message id (versions 1, 2) or `<id>#<i>` (a chunk)
   */
  rows: EncodedLogRow[];
  deadLetters: DeadLetterItem[];
}

export function describeError(error: unknown): string {
  const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return typeof code === 'string' ? `${text} (SQLSTATE ${code})` : text;
}

/**
 * Log entries a value carries without validating them: the counter decrement of a message dead-lettered
 * whole (it may be the one that crashes workers when decoded, so it is not decoded again). 1 when unknown.
 */
export function countedEntries(payload: string | null): number {
  if (payload === null) return 0;
  const submitted = payload.startsWith(`[${LOG_SUBMITTED_CHUNK_CODEC_VERSION},`);
  if (!submitted && !payload.startsWith(`[${LOG_CHUNK_CODEC_VERSION},`)) return 1;
  try {
    const parsed: unknown = JSON.parse(payload);
    if (!Array.isArray(parsed)) return 1;
    // Version 4: [4, receivedAt, tenant, [entries]]; version 3: [3, entry, entry, ...].
    const entries: unknown = submitted ? parsed[3] : parsed.slice(1);
    return Array.isArray(entries) && entries.length > 0 ? entries.length : 1;
  } catch {
    return 1;
  }
}

/**
 * Expands one message into its rows. A message delivered more than `maxDeliveries` times is dead-lettered
 * whole (payload as read: a chunk stays a chunk, replay expands it); a value that does not decode at all
 * is dead-lettered whole; inside a chunk, an entry that does not decode is dead-lettered alone (its own
 * JSON text as payload) and its neighbours are stored.
 */
export function planMessage(message: StreamMessage, delivered: number, maxDeliveries: number): MessagePlan {
  const { id, payload } = message;
  const whole = (reason: string): MessagePlan => ({
    id,
    entries: countedEntries(payload),
    gone: payload === null,
    rows: [],
    deadLetters: [{ id, payload, reason }],
  });
  if (message.corrupt) {
    // A compressed value that does not uncompress: its bytes (base64) are the dead letter's payload.
    const { value, reason } = message.corrupt;
    return {
      id,
      entries: 1,
      gone: false,
      rows: [],
      deadLetters: [{ id, payload: value, reason: `undecodable: ${reason}` }],
    };
  }
  if (delivered > maxDeliveries) {
    return whole(`delivered ${delivered} times, over MAX_DELIVERIES=${maxDeliveries}`);
  }
  let decoded;
  try {
    decoded = decodeStreamValue(payload);
  } catch (error) {
    const reason = error instanceof LogEntryDecodeError ? error.reason : describeError(error);
    return whole(`undecodable: ${reason}`);
  }
  const plan: MessagePlan = { id, entries: decoded.slots.length, rows: [], deadLetters: [] };
  decoded.slots.forEach((slot, index) => {
    const streamId = decoded.chunk ? chunkEntryId(id, index) : id;
    if (!slot.ok) {
      plan.deadLetters.push({ id: streamId, payload: slot.raw, reason: `undecodable: ${slot.error.reason}` });
      return;
    }
    try {
      plan.rows.push(encodeLogRow(slot.entry, streamId));
    } catch (error) {
      // Not known to happen (the decoders check what encoding relies on); if it does, this entry alone is
      // dead-lettered, as a row PostgreSQL refuses would be, instead of failing the whole read.
      plan.deadLetters.push({
        id: streamId,
        payload: singleEntryValueOrNull(slot.entry),
        reason: `unencodable: ${describeError(error)}`,
      });
    }
  });
  return plan;
}

/** The entry's version 2 value for its dead letter, or null when that cannot be written either. */
function singleEntryValueOrNull(entry: LogEntry): string | null {
  try {
    return encodeLogEntry(entry);
  } catch {
    return null;
  }
}

/**
 * Adds a dead letter for each row PostgreSQL refused (`reasons` by stream position) to the plan that holds
 * it, with the entry's own single-entry (version 2) value as payload, also for an entry of a chunk: replaying
 * that dead letter queues that entry alone.
 */
export function deadLetterRefused(plans: readonly MessagePlan[], reasons: ReadonlyMap<string, string>): void {
  if (reasons.size === 0) return;
  for (const plan of plans) {
    for (const row of plan.rows) {
      const streamId = encodedRowStreamId(row);
      const reason = reasons.get(streamId);
      if (reason === undefined) continue;
      plan.deadLetters.push({
        id: streamId,
        payload: encodeLogEntry(decodeLogRow(row)),
        reason: `rejected by PostgreSQL: ${reason}`,
      });
    }
  }
}
