import { levelRank, type LogEntry } from '@logpipe/log-schema';
import type { AttributeFilter, LogFilter } from './log-filter';

function attributeAt(attributes: Record<string, unknown> | null, path: readonly string[]): unknown {
  let node: unknown = attributes;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, key))
      return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** What `attributes @> '{"a":{"b":v}}'` says for a scalar v: the value at the path equals v (jsonb equality). */
function attributeMatches(attributes: Record<string, unknown> | null, filter: AttributeFilter): boolean {
  const value = attributeAt(attributes, filter.path);
  if (value === undefined) return false;
  return filter.candidates.some((candidate) => value === candidate);
}

/**
 * The filters of LogFilter applied to one entry in memory, for the live tail; same meaning as the SQL
 * of the query API (a test runs both over one data set): every set filter must match, `words` are
 * case-insensitive substrings, `toMs` is exclusive.
 */
export function matchesLogFilter(entry: LogEntry, filter: LogFilter): boolean {
  if (filter.services?.length && !filter.services.includes(entry.service)) return false;
  if (filter.minLevel !== undefined && levelRank(entry.level) < levelRank(filter.minLevel)) return false;
  if (filter.fromMs !== undefined && entry.timestamp < filter.fromMs) return false;
  if (filter.toMs !== undefined && entry.timestamp >= filter.toMs) return false;
  if (filter.traceId !== undefined && entry.traceId !== filter.traceId) return false;
  if (filter.words?.length) {
    const message = entry.message.toLowerCase();
    if (!filter.words.every((word) => message.includes(word.toLowerCase()))) return false;
  }
  return filter.attributes.every((attribute) => attributeMatches(entry.attributes, attribute));
}
