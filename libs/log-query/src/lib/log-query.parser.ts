import { levelRank, LOG_LEVELS, MAX_ATTRIBUTES_DEPTH, type LogLevel } from '@logpipe/log-schema';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { decodeCursor } from './log-cursor';
import type { AttributeFilter, LogFilter, LogSearch } from './log-filter';
import { DEFAULT_PAGE_SIZE, LogQueryDto } from './log-query.dto';
import { parseTimeBound, splitWords } from './log-query.rules';

export const ATTRIBUTE_PARAMETER_PREFIX = 'attr.';
export const MAX_ATTRIBUTE_FILTERS = 10;
const MAX_ATTRIBUTE_VALUE_LENGTH = 1024;
const PAGE_ONLY = new Set(['limit', 'cursor']);
const KNOWN = new Set(['service', 'level', 'from', 'to', 'q', 'trace_id', 'limit', 'cursor']);

/** A query-string parameter that was refused, and why: the 400 answer lists them all. */
export interface QueryParameterError {
  parameter: string;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: QueryParameterError[] };

/** Raw query string as Fastify parses it: a repeated parameter is an array. */
export type RawQuery = Record<string, unknown>;

function asStrings(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');
}

/** `service=a,b&service=c` is three services; empty names are dropped by the split, not smuggled in. */
function serviceList(value: unknown): string[] {
  return asStrings(value).flatMap((item) => item.split(',').map((name) => name.trim()));
}

/** JSON scalars a URL value may spell besides itself (`42`, `true`, `null`); strings only otherwise. */
function candidatesOf(value: string): AttributeFilter['candidates'] {
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(value) && Number.isFinite(Number(value)))
    return [value, Number(value)];
  if (value === 'true' || value === 'false') return [value, value === 'true'];
  if (value === 'null') return [value, null];
  return [value];
}

function attributeFilter(
  parameter: string,
  value: unknown,
  errors: QueryParameterError[],
): AttributeFilter | null {
  const path = parameter.slice(ATTRIBUTE_PARAMETER_PREFIX.length).split('.');
  if (path.some((key) => key === '') || path.length > MAX_ATTRIBUTES_DEPTH) {
    errors.push({
      parameter,
      message: `${parameter} must name an attribute key, nested keys separated by dots, at most ${MAX_ATTRIBUTES_DEPTH} deep (e.g. attr.order.id=42)`,
    });
    return null;
  }
  if (typeof value !== 'string') {
    errors.push({ parameter, message: `${parameter} must be given once` });
    return null;
  }
  if (value.length > MAX_ATTRIBUTE_VALUE_LENGTH || value.includes('\u0000')) {
    errors.push({
      parameter,
      message: `${parameter} must be at most ${MAX_ATTRIBUTE_VALUE_LENGTH} characters, without U+0000`,
    });
    return null;
  }
  return { path, candidates: candidatesOf(value) };
}

/** Levels at or above `minLevel`, for `level = ANY(...)`. */
export function levelsAtLeast(minLevel: LogLevel): LogLevel[] {
  return LOG_LEVELS.filter((level) => levelRank(level) >= levelRank(minLevel));
}

/**
 * Checks a query string against LogQueryDto and the `attr.*` rules and turns it into filters.
 * `mode` says which route asks: `limit` and `cursor` belong to GET /api/logs only. Every problem is
 * reported, each naming its parameter.
 */
export function parseLogQuery(raw: RawQuery, mode: 'search'): Parsed<LogSearch>;
export function parseLogQuery(raw: RawQuery, mode: 'filter'): Parsed<LogFilter>;
export function parseLogQuery(raw: RawQuery, mode: 'search' | 'filter'): Parsed<LogSearch | LogFilter> {
  const errors: QueryParameterError[] = [];
  const attributes: AttributeFilter[] = [];
  const known: Record<string, unknown> = {};
  for (const [parameter, value] of Object.entries(raw ?? {})) {
    if (parameter.startsWith(ATTRIBUTE_PARAMETER_PREFIX)) {
      const filter = attributeFilter(parameter, value, errors);
      if (filter) attributes.push(filter);
    } else if (!KNOWN.has(parameter)) {
      errors.push({ parameter, message: `unknown parameter "${parameter.slice(0, 64)}"` });
    } else if (mode === 'filter' && PAGE_ONLY.has(parameter)) {
      errors.push({ parameter, message: `${parameter} applies to GET /api/logs only` });
    } else {
      known[parameter] = value;
    }
  }
  if (attributes.length > MAX_ATTRIBUTE_FILTERS) {
    errors.push({ parameter: 'attr.*', message: `at most ${MAX_ATTRIBUTE_FILTERS} attr.<key> filters` });
  }

  if (known['service'] !== undefined) known['service'] = serviceList(known['service']);
  // Only plain digits become a number; anything else stays text so the integer rule names it.
  if (typeof known['limit'] === 'string' && /^\d{1,9}$/.test(known['limit']))
    known['limit'] = Number(known['limit']);
  const dto = plainToInstance(LogQueryDto, known);
  for (const error of validateSync(dto, { stopAtFirstError: true, forbidUnknownValues: true })) {
    const message = Object.values(error.constraints ?? {})[0];
    if (message !== undefined) errors.push({ parameter: error.property, message });
  }
  if (errors.length > 0) return { ok: false, errors };

  const filter: LogFilter = { attributes };
  if (dto.service !== undefined) filter.services = [...new Set(dto.service)];
  if (dto.level !== undefined) filter.minLevel = dto.level;
  if (dto.from !== undefined) filter.fromMs = parseTimeBound(dto.from) as number;
  if (dto.to !== undefined) filter.toMs = parseTimeBound(dto.to) as number;
  if (dto.q !== undefined) filter.words = splitWords(dto.q);
  if (dto.trace_id !== undefined) filter.traceId = dto.trace_id.toLowerCase();
  if (filter.fromMs !== undefined && filter.toMs !== undefined && filter.fromMs >= filter.toMs) {
    return { ok: false, errors: [{ parameter: 'to', message: 'to must be later than from' }] };
  }
  if (mode === 'filter') return { ok: true, value: filter };
  const search: LogSearch = { ...filter, limit: dto.limit ?? DEFAULT_PAGE_SIZE };
  if (dto.cursor !== undefined) search.cursor = decodeCursor(dto.cursor) ?? undefined;
  return { ok: true, value: search };
}
