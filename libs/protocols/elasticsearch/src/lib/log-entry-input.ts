import type { DocumentContext } from './document-mapping';
import { DEFAULT_LEVEL } from './level-mapping';

/**
 * A log entry in the shape of a `POST /api/logs` entry (LogEntryDto), not yet validated: the shared
 * ingest path validates it like any other entry and reports what fails per item.
 */
export interface LogEntryInput {
  id?: string;
  timestamp?: unknown;
  level: string;
  service: string;
  message: string;
  attributes?: Record<string, unknown>;
  trace_id?: string;
  span_id?: string;
}

/**
 * The entry of a mapped document, built in one place for both ways of mapping one (document-mapping.ts,
 * one-pass-mapping.ts): one object of the shape a POST /api/logs entry has (its optional fields
 * undefined rather than absent, which the entry's rules read alike), so validation meets the same
 * shape for every document. The item's `_id` becomes the event id; a hashed `_id` is kept as the
 * attribute `_id`.
 */
export function logEntryInput(
  context: DocumentContext,
  timestamp: unknown,
  level: string | undefined,
  service: string | undefined,
  message: string,
  attributes: Record<string, unknown> | undefined,
  traceId: string | undefined,
  spanId: string | undefined,
): LogEntryInput {
  if (context.originalId !== undefined) attributes = { ...attributes, _id: context.originalId };
  const entry: LogEntryInput = {
    timestamp,
    level: level ?? DEFAULT_LEVEL,
    service: service ?? context.index,
    message,
    attributes,
  };
  if (context.eventId !== undefined) entry.id = context.eventId;
  if (traceId !== undefined) entry.trace_id = traceId;
  if (spanId !== undefined) entry.span_id = spanId;
  return entry;
}
