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
