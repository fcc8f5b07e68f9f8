import { Transform } from 'class-transformer';

/**
 * `enableImplicitConversion` turns any non-empty string into `true` for boolean properties, so
 * DB_MIGRATE=false would read as true. Parse the words people actually write instead; anything else
 * is left as a string so the `@IsBoolean()` rule rejects it by name.
 */
export function EnvBoolean(): PropertyDecorator {
  return Transform(({ obj, key }) => {
    const raw: unknown = obj[key];
    if (typeof raw === 'boolean' || raw === undefined) return raw;
    const word = String(raw).trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(word)) return true;
    if (['false', '0', 'no', 'off', ''].includes(word)) return false;
    return raw;
  });
}

const DURATION_UNITS_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION = /^(\d+)\s*(ms|s|m|h|d|w)?$/;

/**
 * "30d", "12h", "90m", "45s", "2w", "250ms" as milliseconds; a bare number is milliseconds too (that is
 * how @nestjs/config writes a validated value back to process.env). Undefined for anything else.
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match === null) return undefined;
  return Number(match[1]) * (match[2] === undefined || match[2] === 'ms' ? 1 : DURATION_UNITS_MS[match[2]]);
}

/**
 * An environment variable written as a duration (see parseDuration) becomes milliseconds; anything else
 * is left as it was, so the property's `@IsInt()` rule rejects it by name.
 */
export function EnvDuration(): PropertyDecorator {
  return Transform(({ obj, key }) => {
    const raw: unknown = obj[key];
    if (typeof raw !== 'string') return raw;
    return parseDuration(raw) ?? raw;
  });
}
