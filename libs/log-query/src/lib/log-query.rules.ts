import { parseTimestamp } from '@logpipe/log-schema';

/** Shortest word `q` accepts: pg_trgm can only serve words of three characters or more from its index. */
export const MIN_WORD_LENGTH = 3;
export const MAX_WORDS = 8;
const MAX_TEXT_LENGTH = 200;

/** Epoch milliseconds of a `from`/`to` value: ISO-8601 with a zone (as entries are submitted) or epoch ms. */
export function parseTimeBound(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const parsed = parseTimestamp(/^\d{1,15}$/.test(value) ? Number(value) : value);
  return parsed.ok ? parsed.epochMs : null;
}

export function timeBoundProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be given once';
  return parseTimeBound(value) === null
    ? 'must be an ISO-8601 date-time with a timezone (e.g. 2026-11-26T10:00:00Z) or epoch milliseconds'
    : null;
}

/** The words of `q`: split on whitespace, duplicates removed. */
export function splitWords(text: string): string[] {
  return [...new Set(text.split(/\s+/u).filter((word) => word !== ''))];
}

/**
 * `q` must be answerable from the trigram index: a word under three characters would make PostgreSQL
 * read every row of the tenant, which is refused up front with a 400 instead of timing out.
 */
export function wordsProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be given once';
  if (value.length > MAX_TEXT_LENGTH) return `must be at most ${MAX_TEXT_LENGTH} characters`;
  if (value.includes('\u0000')) return 'must not contain U+0000';
  const words = splitWords(value);
  if (words.length === 0) return 'must contain at least one word';
  if (words.length > MAX_WORDS) return `must have at most ${MAX_WORDS} words`;
  const short = words.find((word) => [...word].length < MIN_WORD_LENGTH);
  if (short !== undefined) {
    return `words must have at least ${MIN_WORD_LENGTH} characters each ("${short}" is too short to search by index)`;
  }
  const symbolsOnly = words.find((word) => !/[\p{L}\p{N}]/u.test(word));
  if (symbolsOnly !== undefined) {
    return `words must contain a letter or a digit ("${symbolsOnly}" cannot be searched by index)`;
  }
  return null;
}
