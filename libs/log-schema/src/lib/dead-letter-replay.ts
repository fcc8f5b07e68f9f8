import { decodeStreamValue, encodeLogChunk, encodeLogEntry, LogEntryDecodeError } from './stream-codec';
import type { LogEntry } from './log-entry.types';

/** Prefix of the event id given on replay to a dead letter that had none (see prepareDeadLetterReplay). */
export const REPLAY_EVENT_ID_PREFIX = 'dead-';

/**
 * What to queue again for a dead letter's payload, or why it cannot be: it must still decode (the same
 * checks the worker applies before inserting). An entry keeps its event id, so replaying it twice stores
 * it once ((tenant, event_id) is unique). One without an event id gets `dead-<dead-letter stream id>`
 * (entry i of a chunk: `dead-<dead-letter stream id>.<i>`): stable across replays of the same dead
 * letter, so the same holds. A chunk (a message dead-lettered whole, e.g. over MAX_DELIVERIES) is queued
 * again as a chunk of its entries, `entries` of them; one with an entry that does not decode is refused
 * whole, naming that entry (the operator can purge it, or fix it by hand).
 */
export function prepareDeadLetterReplay(
  payload: string | null,
  deadLetterId: string,
): { payload: string; entries: number } | { refused: string } {
  const withEventId = (entry: LogEntry, suffix: string): LogEntry =>
    entry.eventId !== null
      ? entry
      : { ...entry, eventId: `${REPLAY_EVENT_ID_PREFIX}${deadLetterId}${suffix}` };
  try {
    const { chunk, slots } = decodeStreamValue(payload);
    const entries: LogEntry[] = [];
    for (const [index, slot] of slots.entries()) {
      if (!slot.ok)
        return { refused: `still not a valid entry: entry ${index} of the chunk: ${slot.error.reason}` };
      entries.push(withEventId(slot.entry, chunk ? `.${index}` : ''));
    }
    if (!chunk) return { payload: encodeLogEntry(entries[0]), entries: 1 };
    return { payload: encodeLogChunk(entries), entries: entries.length };
  } catch (error) {
    const reason = error instanceof LogEntryDecodeError ? error.reason : String(error);
    return { refused: `still not a valid entry: ${reason}` };
  }
}
