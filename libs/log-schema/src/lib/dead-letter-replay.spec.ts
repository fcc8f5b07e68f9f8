import { prepareDeadLetterReplay } from './dead-letter-replay';
import {
  decodeLogEntry,
  decodeStreamValue,
  encodeChunkEntry,
  encodeLogChunk,
  encodeLogChunkOfEncoded,
  encodeLogEntry,
} from './stream-codec';
import type { LogEntry } from './log-entry.types';

const entry: LogEntry = {
  timestamp: 1_764_000_000_000,
  receivedAt: 1_764_000_000_500,
  level: 'error',
  service: 'billing',
  message: 'card declined',
  attributes: { order: 7 },
  traceId: null,
  spanId: null,
  eventId: 'evt-42',
  tenant: 'acme',
};

describe('prepareDeadLetterReplay', () => {
  it('keeps the event id of an entry that has one', () => {
    const prepared = prepareDeadLetterReplay(encodeLogEntry(entry), '1764000001000-0');
    expect('payload' in prepared && decodeLogEntry(prepared.payload)).toEqual(entry);
  });

  it('gives an entry without an event id one derived from the dead-letter id, the same on every replay', () => {
    const payload = encodeLogEntry({ ...entry, eventId: null });
    const first = prepareDeadLetterReplay(payload, '1764000001000-3');
    const second = prepareDeadLetterReplay(payload, '1764000001000-3');
    expect('payload' in first && decodeLogEntry(first.payload).eventId).toBe('dead-1764000001000-3');
    expect(second).toEqual(first);
  });

  it('refuses a payload that still does not decode, saying why', () => {
    expect(prepareDeadLetterReplay('{"not":"an entry"}', '1-0')).toEqual({
      refused: 'still not a valid entry: expected a JSON array',
    });
    expect(prepareDeadLetterReplay(null, '1-0')).toEqual({
      refused: 'still not a valid entry: expected a string, got null',
    });
  });
});

describe('prepareDeadLetterReplay of a chunk (a message dead-lettered whole)', () => {
  it('queues its entries again as one chunk, each without an event id getting dead-<id>.<index>', () => {
    const payload = encodeLogChunk([entry, { ...entry, eventId: null }]);
    const prepared = prepareDeadLetterReplay(payload, 's1:1764000001000-0');
    expect('payload' in prepared && prepared.entries).toBe(2);
    const slots = 'payload' in prepared ? decodeStreamValue(prepared.payload).slots : [];
    expect(slots.map((slot) => slot.ok && slot.entry.eventId)).toEqual([
      'evt-42',
      'dead-s1:1764000001000-0.1',
    ]);
  });

  it('refuses a chunk with an entry that does not decode, naming the entry', () => {
    const payload = encodeLogChunkOfEncoded([encodeChunkEntry(entry), '[1,2]']);
    expect(prepareDeadLetterReplay(payload, '1-0')).toEqual({
      refused: 'still not a valid entry: entry 1 of the chunk: expected 10 elements for a chunk entry, got 2',
    });
  });
});
