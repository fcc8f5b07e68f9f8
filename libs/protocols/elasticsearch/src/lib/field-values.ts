import { SPAN_ID_PATTERN, TRACE_ID_PATTERN } from '@logpipe/log-schema';

// What a document's field must hold to become one of the entry's own fields, shared by both ways of
// mapping a document (document-mapping.ts, one-pass-mapping.ts); a value they refuse stays in the
// attributes. Made once, not per document.

const matching = (pattern: RegExp) => (value: unknown) =>
  typeof value === 'string' && pattern.test(value) ? value : undefined;

/** The service: a non-empty string. */
export const nonEmptyString = (value: unknown) =>
  typeof value === 'string' && value !== '' ? value : undefined;
/** A trace id as the entry's rules take it (TRACE_ID_PATTERN). */
export const traceIdValue = matching(TRACE_ID_PATTERN);
/** A span id as the entry's rules take it (SPAN_ID_PATTERN). */
export const spanIdValue = matching(SPAN_ID_PATTERN);
