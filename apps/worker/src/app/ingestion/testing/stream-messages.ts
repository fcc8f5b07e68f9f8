import {
  encodeChunkEntry,
  encodeLogChunkOfEncoded,
  encodeLogEntry,
  type LogEntry,
} from '@logpipe/log-schema';
import { sampleLogEntry as entry } from '@logpipe/log-schema/testing';
import type { StreamMessage } from '@logpipe/stream-client';

// Test fixtures of the ingestion specs: log entries and the stream messages ingest would write for them.

/** A valid entry with `message` as its text; `overrides` change other fields. */
export { entry };

/** A single-entry (version 2) message. */
export function message(id: string, text: string): StreamMessage {
  return { id, payload: encodeLogEntry(entry(text)) };
}

/** A chunk (version 3) message of one entry per text. */
export function chunk(
  id: string,
  texts: readonly string[],
  overrides: Partial<LogEntry> = {},
): StreamMessage {
  return {
    id,
    payload: encodeLogChunkOfEncoded(texts.map((text) => encodeChunkEntry(entry(text, overrides)))),
  };
}
