import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/**
 * What one write request did with its entries, for the entry counters. The ingest service fills it
 * in (records received, entries queued); the onResponse hook reads it. A request that failed before
 * the service ran (no key, a body that did not decode) has none and counts as one rejected entry.
 */
export class IngestOutcome {
  /** Records the request carried, as decoded (before validation). */
  received = 0;
  /** Entries appended to the stream (answered as accepted). */
  queued = 0;
}

export const INGEST_OUTCOME = Symbol('logpipe:ingestOutcome');
export type RequestWithOutcome = { [INGEST_OUTCOME]?: IngestOutcome };

/** A fresh IngestOutcome attached to the request; pass it to LogIngestService so metrics count records. */
export const Outcome = createParamDecorator((_data: unknown, context: ExecutionContext): IngestOutcome => {
  const request = context.switchToHttp().getRequest<RequestWithOutcome>();
  const outcome = new IngestOutcome();
  request[INGEST_OUTCOME] = outcome;
  return outcome;
});
