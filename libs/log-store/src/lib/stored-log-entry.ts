import type { LogEntry } from '@logpipe/log-schema';

/** A validated entry together with the stream id it was delivered under: one row of `logs`. */
export interface StoredLogEntry extends LogEntry {
  streamId: string;
}
