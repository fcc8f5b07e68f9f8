import type { LogCursor } from './log-filter';

const VERSION = 1;
const TS_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const ROW_ID = /^[1-9]\d{0,18}$/;

/**
 * The `cursor` of a page is opaque to clients: base64url of a small versioned JSON array. It carries
 * only a position in the (ts, id) order, never a filter or a tenant, so handing one to another tenant
 * reveals nothing (it is a timestamp and a row number) and reads nothing of theirs.
 */
export function encodeCursor(cursor: LogCursor): string {
  return Buffer.from(JSON.stringify([VERSION, cursor.ts, cursor.id])).toString('base64url');
}

/** The cursor, or null when `text` is not one this version wrote. */
export function decodeCursor(text: string): LogCursor | null {
  if (text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== VERSION) return null;
  const [, ts, id] = parsed as unknown[];
  if (typeof ts !== 'string' || !TS_KEY.test(ts) || Number.isNaN(Date.parse(ts))) return null;
  if (typeof id !== 'string' || !ROW_ID.test(id) || BigInt(id) > 9223372036854775807n) return null;
  return { ts, id };
}
