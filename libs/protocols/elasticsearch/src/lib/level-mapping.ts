import type { LogLevel } from '@logpipe/log-schema';

// Level names shippers and logging libraries write, lower-cased. Syslog's names (RFC 5424: emerg, alert,
// crit, err, warning, notice, info, debug) are here because syslog-ng and Logstash forward them as is.
const LEVEL_NAMES: ReadonlyMap<string, LogLevel> = new Map<string, LogLevel>([
  ['trace', 'trace'],
  ['verbose', 'trace'],
  ['debug', 'debug'],
  ['dbg', 'debug'],
  ['info', 'info'],
  ['information', 'info'],
  ['informational', 'info'],
  ['notice', 'info'],
  ['warn', 'warn'],
  ['warning', 'warn'],
  ['error', 'error'],
  ['err', 'error'],
  ['fatal', 'fatal'],
  ['critical', 'fatal'],
  ['crit', 'fatal'],
  ['alert', 'fatal'],
  ['emerg', 'fatal'],
  ['emergency', 'fatal'],
  ['panic', 'fatal'],
]);

// pino and bunyan number their levels 10 (trace) .. 60 (fatal); a custom pino level between two of
// them (e.g. 35) takes the level below it.
const NUMERIC_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const MIN_NUMERIC_LEVEL = 10;

function fromNumber(value: number): LogLevel | undefined {
  // Below 10 a number is more likely a syslog severity (0 emerg .. 7 debug) than a pino level; rather
  // than guess, such values are not read as a level (the field stays in attributes).
  if (!Number.isInteger(value) || value < MIN_NUMERIC_LEVEL) return undefined;
  return NUMERIC_LEVELS[Math.min(Math.floor(value / 10) - 1, NUMERIC_LEVELS.length - 1)];
}

const INTEGER_TEXT = /^\d{1,6}$/;

/**
 * The log level a document's level field names, or undefined when the value is not one Logpipe
 * recognises (the caller then keeps the field as an attribute and uses the default level).
 * Names are case-insensitive; numbers (and numeric strings) follow pino/bunyan: 10 trace, 20 debug,
 * 30 info, 40 warn, 50 error, 60 fatal.
 */
export function levelFromValue(value: unknown): LogLevel | undefined {
  if (typeof value === 'number') return fromNumber(value);
  if (typeof value !== 'string') return undefined;
  // Most documents spell a level exactly as listed ("info", "error"): found without trimming or
  // lower-casing it.
  const exact = LEVEL_NAMES.get(value);
  if (exact !== undefined) return exact;
  const text = value.trim();
  if (INTEGER_TEXT.test(text)) return fromNumber(Number(text));
  return LEVEL_NAMES.get(text.toLowerCase());
}

/** The level of a document that names none (or one Logpipe does not recognise). */
export const DEFAULT_LEVEL: LogLevel = 'info';
