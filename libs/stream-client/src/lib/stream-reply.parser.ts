import { STREAM_PAYLOAD_FIELD } from './stream-client.options';
import { SNAPPY_PAYLOAD_FIELD, uncompressPayload } from './stream-value-compression';

export interface StreamMessage {
  id: string;
  /**
   * The payload as text (a compressed value uncompressed); null when the entry was deleted or trimmed
   * after delivery, has no payload field, or is `corrupt`.
   */
  payload: string | null;
  /** A compressed payload that does not uncompress: its bytes (base64) and why, for a dead letter. */
  corrupt?: { value: string; reason: string };
  /** times the group delivered this entry, when known */
  deliveryCount?: number;
}

export interface PendingEntry {
  id: string;
  consumer: string;
  idleMs: number;
  deliveryCount: number;
}

export interface GroupInfo {
  name: string;
  consumers: number;
  pending: number;
  lastDeliveredId: string;
  /** null when Redis cannot tell (e.g. entries were deleted in the undelivered range) */
  lag: number | null;
}

function fail(what: string, reply: unknown): never {
  throw new Error(`Unexpected ${what} reply from Redis: ${JSON.stringify(reply)?.slice(0, 200)}`);
}

function asString(value: unknown, what: string): string {
  if (typeof value === 'string') {
    return value;
  }
  if (Buffer.isBuffer(value)) {
    return value.toString('utf8');
  }
  return fail(what, value);
}

function asNumber(value: unknown, what: string): number {
  const parsed = typeof value === 'number' ? value : Number(asString(value, what));
  return Number.isFinite(parsed) ? parsed : fail(what, value);
}

/** [id, [field, value, ...] | null]: the fields are null when the entry is gone but still pending. */
export function parseStreamEntry(entry: unknown): StreamMessage {
  if (!Array.isArray(entry) || entry.length !== 2) {
    return fail('stream entry', entry);
  }
  const [id, fields] = entry;
  return { id: asString(id, 'stream entry id'), ...payloadOf(fields) };
}

function payloadOf(fields: unknown): Pick<StreamMessage, 'payload' | 'corrupt'> {
  if (fields === null) {
    return { payload: null };
  }
  if (!Array.isArray(fields)) {
    return fail('stream entry fields', fields);
  }
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const field = asString(fields[i], 'field name');
    if (field === STREAM_PAYLOAD_FIELD) return { payload: asString(fields[i + 1], 'field value') };
    if (field === SNAPPY_PAYLOAD_FIELD) {
      const value: unknown = fields[i + 1];
      if (typeof value !== 'string' && !Buffer.isBuffer(value)) return fail('field value', value);
      return uncompressPayload(value);
    }
  }
  return { payload: null };
}

/** XREAD/XREADGROUP: null on timeout, else [[key, entries]] for the single key we read. */
export function parseReadReply(reply: unknown): StreamMessage[] {
  if (reply === null) {
    return [];
  }
  if (!Array.isArray(reply)) {
    return fail('XREADGROUP', reply);
  }
  return reply.flatMap((stream: unknown) => {
    if (!Array.isArray(stream) || stream.length !== 2 || !Array.isArray(stream[1])) {
      return fail('XREADGROUP stream', stream);
    }
    return (stream[1] as unknown[]).map(parseStreamEntry);
  });
}

export interface AutoClaimPage {
  nextCursor: string;
  messages: StreamMessage[];
}

/**
 * XAUTOCLAIM: [cursor, entries, deletedIds]. Redis 7 drops entries deleted from the stream out of the
 * PEL and lists their ids separately; Redis 6.2 returned them as entries without fields. Both come
 * back as payload null so the caller can dead-letter them instead of waiting for them forever.
 */
export function parseAutoClaimReply(reply: unknown): AutoClaimPage {
  if (!Array.isArray(reply) || reply.length < 2 || !Array.isArray(reply[1])) {
    return fail('XAUTOCLAIM', reply);
  }
  const messages = (reply[1] as unknown[]).filter((entry) => entry !== null).map(parseStreamEntry);
  const deleted = Array.isArray(reply[2]) ? (reply[2] as unknown[]) : [];
  for (const id of deleted) {
    messages.push({ id: asString(id, 'XAUTOCLAIM deleted id'), payload: null });
  }
  return { nextCursor: asString(reply[0], 'XAUTOCLAIM cursor'), messages };
}

/** XPENDING extended form: [[id, consumer, idleMs, deliveryCount], ...]. */
export function parsePendingEntries(reply: unknown): PendingEntry[] {
  if (!Array.isArray(reply)) {
    return fail('XPENDING', reply);
  }
  return reply.map((row: unknown) => {
    if (!Array.isArray(row) || row.length !== 4) {
      return fail('XPENDING row', row);
    }
    return {
      id: asString(row[0], 'XPENDING id'),
      consumer: asString(row[1], 'XPENDING consumer'),
      idleMs: asNumber(row[2], 'XPENDING idle'),
      deliveryCount: asNumber(row[3], 'XPENDING delivery count'),
    };
  });
}

/** XPENDING summary form: [count, smallestId | null, greatestId | null, consumers | null]. */
export function parsePendingSummary(reply: unknown): { count: number; smallestId: string | null } {
  if (!Array.isArray(reply) || reply.length < 2) {
    return fail('XPENDING summary', reply);
  }
  const count = asNumber(reply[0], 'XPENDING count');
  return { count, smallestId: reply[1] === null ? null : asString(reply[1], 'XPENDING smallest id') };
}

/** XINFO GROUPS (RESP2): one flat [name, value, ...] list per group. */
export function parseGroupsInfo(reply: unknown): GroupInfo[] {
  if (!Array.isArray(reply)) {
    return fail('XINFO GROUPS', reply);
  }
  return reply.map((group: unknown) => {
    if (!Array.isArray(group)) {
      return fail('XINFO GROUPS group', group);
    }
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < group.length; i += 2) {
      fields.set(asString(group[i], 'XINFO field'), group[i + 1]);
    }
    const lag = fields.get('lag');
    return {
      name: asString(fields.get('name'), 'XINFO name'),
      consumers: asNumber(fields.get('consumers'), 'XINFO consumers'),
      pending: asNumber(fields.get('pending'), 'XINFO pending'),
      lastDeliveredId: asString(fields.get('last-delivered-id'), 'XINFO last-delivered-id'),
      lag: lag === null || lag === undefined ? null : asNumber(lag, 'XINFO lag'),
    };
  });
}
