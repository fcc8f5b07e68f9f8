import type { LogEntry } from '../log-entry.types';

/** A valid, fully decoded log entry with `message` as its text; `overrides` change other fields. */
export function sampleLogEntry(message: string, overrides: Partial<LogEntry> = {}): LogEntry {
  return {
    timestamp: 1795651200000,
    receivedAt: 1795651200001,
    level: 'info',
    service: 'svc',
    message,
    attributes: null,
    traceId: null,
    spanId: null,
    eventId: null,
    tenant: 'default',
    ...overrides,
  };
}
