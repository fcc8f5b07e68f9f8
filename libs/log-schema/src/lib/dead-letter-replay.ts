import { decodeLogEntry, encodeLogEntry, LogEntryDecodeError } from './stream-codec';

/** Prefix of the event id given on replay to a dead letter that had none (see prepareDeadLetterReplay). */
export const REPLAY_EVENT_ID_PREFIX = 'dead-';

/**
 * What to queue again for a dead letter's payload, or why it cannot be: it must still decode as an entry
 * (the same checks the worker applies before inserting). An entry keeps its event id, so replaying it
 * twice stores it once ((tenant, event_id) is unique). One without an event id gets
 * `dead-<dead-letter stream id>`: stable across replays of the same dead letter, so the same holds.
 */
export function prepareDeadLetterReplay(
  payload: string | null,
  deadLetterId: string,
): { payload: string } | { refused: string } {
  try {
    const entry = decodeLogEntry(payload);
    if (entry.eventId !== null) return { payload: encodeLogEntry(entry) };
    return { payload: encodeLogEntry({ ...entry, eventId: `${REPLAY_EVENT_ID_PREFIX}${deadLetterId}` }) };
  } catch (error) {
    const reason = error instanceof LogEntryDecodeError ? error.reason : String(error);
    return { refused: `still not a valid entry: ${reason}` };
  }
}
