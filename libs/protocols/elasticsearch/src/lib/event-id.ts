import { EVENT_ID_PATTERN } from '@logpipe/log-schema';
import { createHash } from 'node:crypto';

/** Elasticsearch refuses a longer `_id` ("id [...] is too long, must be no longer than 512 bytes"). */
export const MAX_ELASTICSEARCH_ID_BYTES = 512;

/** What a mapped `_id` starts with; the rest is the SHA-256 of the `_id`'s UTF-8 bytes in hex. */
export const HASHED_ID_PREFIX = 'sha256:';

export type EventIdMapping =
  | { readonly ok: true; readonly eventId: string; readonly hashed: boolean }
  | { readonly ok: false; readonly reason: string };

/**
 * The Logpipe event id of a bulk item's `_id`. An `_id` that Logpipe's event-id rule accepts
 * (EVENT_ID_PATTERN: 1-128 of A-Z a-z 0-9 . _ : -) is the event id itself. Any other `_id` that
 * Elasticsearch would accept (non-empty, at most 512 bytes) is mapped deterministically to
 * "sha256:" + 64 hex digits, so a resent document with the same `_id` still lands once; nothing
 * Elasticsearch takes is refused for its spelling. Elasticsearch's own auto-generated ids
 * (20 characters of base64url) always pass as they are.
 */
export function eventIdFromElasticsearchId(id: string): EventIdMapping {
  if (EVENT_ID_PATTERN.test(id)) return { ok: true, eventId: id, hashed: false };
  if (id === '') return { ok: false, reason: 'if _id is specified it must not be empty' };
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > MAX_ELASTICSEARCH_ID_BYTES) {
    return {
      ok: false,
      reason: `id [${id.slice(0, 64)}…] is too long, must be no longer than ${MAX_ELASTICSEARCH_ID_BYTES} bytes but was: ${bytes}`,
    };
  }
  const digest = createHash('sha256').update(id, 'utf8').digest('hex');
  return { ok: true, eventId: `${HASHED_ID_PREFIX}${digest}`, hashed: true };
}
