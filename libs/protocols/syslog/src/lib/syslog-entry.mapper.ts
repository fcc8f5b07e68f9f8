// One syslog message -> one log entry (the shape of POST /api/logs entries), and the API key it carried.
//
// | log entry                     | RFC 5424                        | RFC 3164 / BSD                          |
// | ----------------------------- | ------------------------------- | --------------------------------------- |
// | timestamp (epoch ms)          | TIMESTAMP (absent if `-`)       | header time, zone/year as the parser says; absent if none |
// | level                         | severity: emerg/alert/crit → fatal, err → error, warning → warn, notice/info → info, debug → debug |
// | service                       | APP-NAME, else HOSTNAME, else `syslog` | TAG, else hostname, else `syslog` |
// | message                       | MSG (BOM removed; empty → `-`)  | text after `TAG[pid]: ` (Cisco: from `%FAC-SEV-MNEMONIC`) |
// | attributes.syslog.format      | `rfc5424`                       | `rfc3164`                               |
// | attributes.syslog.facility    | facility keyword (`local4`)     | same                                    |
// | attributes.syslog.severity    | severity keyword (`notice`)     | same                                    |
// | attributes.syslog.hostname    | HOSTNAME                        | hostname                                |
// | attributes.syslog.procid      | PROCID                          | `pid` of `TAG[pid]`                     |
// | attributes.syslog.msgid       | MSGID                           | -                                       |
// | attributes.syslog.sd          | { SD-ID: { PARAM: value } } without the key element | -               |
// | attributes.syslog.sequence    | -                               | Cisco sequence number                   |
// | attributes.syslog.mnemonic    | -                               | Cisco `FAC-SEV-MNEMONIC`                |
// | attributes.syslog.device_time | -                               | the header time as written, when it was not used (`*` unset clock) or its zone name was not UTC |
// A message that does not parse: level info, service `syslog`, the whole text as message, and
// attributes.syslog.parse_error naming what was wrong (plus facility/severity when the PRI was readable).
import {
  MAX_ATTRIBUTES_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_SERVICE_LENGTH,
  type LogLevel,
} from '@logpipe/log-schema';
import { looksLikeRfc5424, parseRfc5424 } from './rfc5424.parser';
import { parseRfc3164 } from './rfc3164.parser';
import {
  FACILITY_NAMES,
  readPri,
  SEVERITY_NAMES,
  type StructuredData,
  type SyslogMessage,
  type SyslogParse,
} from './syslog-message';

export interface SyslogDecodeOptions {
  /** When the frame arrived (epoch ms): the missing year of BSD times is taken relative to it. */
  readonly receivedAt: number;
  /** IANA zone of BSD times that carry none (`UTC` unless configured). */
  readonly timeZone: string;
  /** SD-ID of the element that carries the API key as its `key` parameter, e.g. `logpipe@32473`. */
  readonly keyElementId: string;
}

export interface SyslogAttributes {
  format?: 'rfc5424' | 'rfc3164';
  facility?: string;
  severity?: string;
  hostname?: string;
  procid?: string;
  msgid?: string;
  sd?: StructuredData;
  sd_dropped?: true;
  sequence?: string;
  mnemonic?: string;
  device_time?: string;
  truncated?: true;
  parse_error?: string;
  /** The header's time (ISO) when it lay outside ENTRY_MAX_AGE / ENTRY_MAX_FUTURE; ts is the receipt. */
  header_time?: string;
}

/** A LogEntryDto-shaped object: what ingest's shared path validates and queues. */
export interface SyslogLogEntry {
  timestamp?: number;
  level: LogLevel;
  service: string;
  message: string;
  attributes: { syslog: SyslogAttributes };
}

export interface DecodedSyslog {
  readonly entry: SyslogLogEntry;
  /** The `key` of the key element, when the message had one (the element itself is not stored). */
  readonly apiKey?: string;
  readonly parsed: boolean;
}

/** RFC 5424 severity code -> log level (issue 15's table). */
const LEVELS: readonly LogLevel[] = ['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug'];
const FALLBACK_SERVICE = 'syslog';
const EMPTY_MESSAGE = '-';
const MAX_HEADER_FIELD = 255;

/** Drops the line ends at the end of `text` (framing, not content) without a regex per message. */
function withoutTrailingLineEnds(text: string): string {
  let end = text.length;
  while (end > 0) {
    const code = text.charCodeAt(end - 1);
    if (code !== 0x0a && code !== 0x0d) break;
    end--;
  }
  return end === text.length ? text : text.slice(0, end);
}

/**
 * PostgreSQL text cannot hold U+0000; Buffer's UTF-8 decoder already turns bad bytes into U+FFFD, so
 * NUL is the only thing left to replace. Trailing line ends are framing, not content.
 */
function storableText(text: string): string {
  return withoutTrailingLineEnds(text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text);
}

/** `text` cut to at most `maxBytes` of UTF-8 without splitting a character; the same string when it fits. */
function fitBytes(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const cut = Buffer.from(text, 'utf8').subarray(0, maxBytes).toString('utf8');
  // A character split at the cut decodes as U+FFFD: drop it rather than store a replacement.
  return cut.endsWith('\uFFFD') && !text.startsWith(cut) ? cut.slice(0, -1) : cut;
}

function short(value: string | undefined, max = MAX_HEADER_FIELD): string | undefined {
  return value === undefined || value.length <= max ? value : value.slice(0, max);
}

/** The message to store: cut to MAX_MESSAGE_BYTES (the caller compares to see a cut), never empty. */
function messageText(text: string): string {
  const fitted = fitBytes(text, MAX_MESSAGE_BYTES);
  return fitted.length === 0 ? EMPTY_MESSAGE : fitted;
}

/** Takes the key element out of the structured data; returns the key and what is left to store. */
function extractKey(
  data: StructuredData | undefined,
  keyElementId: string,
): { apiKey?: string; rest?: StructuredData } {
  if (data === undefined || !(keyElementId in data)) return { rest: data };
  const { [keyElementId]: element, ...rest } = data;
  const key = element.key;
  return {
    apiKey: Array.isArray(key) ? key[0] : key,
    rest: Object.keys(rest).length === 0 ? undefined : rest,
  };
}

/**
 * The attributes without their undefined fields, copied into a fresh object rather than deleted in
 * place: `delete` turns an object into a slow dictionary that validation and encoding then walk, once
 * per message. (Used where few fields are set; toEntry assigns its fields one by one.)
 */
function withoutUndefined(attributes: SyslogAttributes): SyslogAttributes {
  const defined: Record<string, unknown> = {};
  for (const name in attributes) {
    const value = attributes[name as keyof SyslogAttributes];
    if (value !== undefined) defined[name] = value;
  }
  return defined as SyslogAttributes;
}

/**
 * An upper bound of the JSON size of `{ syslog: attributes }`: 6 bytes per UTF-16 unit covers any
 * escape, and every name, quote, colon and comma is counted generously. Below the limit, the exact
 * JSON.stringify (once per message) is not needed.
 */
function attributesSizeBound(attributes: SyslogAttributes): number {
  let units = 32;
  const text = (value: string) => {
    units += value.length * 6 + 4;
  };
  for (const name in attributes) {
    units += name.length + 4;
    const value = attributes[name as keyof SyslogAttributes];
    if (typeof value === 'string') text(value);
    else if (name === 'sd' && value !== undefined) {
      for (const [id, params] of Object.entries(value as StructuredData)) {
        text(id);
        for (const [param, paramValue] of Object.entries(params)) {
          text(param);
          if (Array.isArray(paramValue)) paramValue.forEach(text);
          else text(paramValue);
        }
      }
    } else units += 8;
  }
  return units;
}

/**
 * `value` with U+0000 replaced in every string and key (PostgreSQL refuses NUL in text and jsonb). Run
 * only for a frame that has a NUL at all, so the common message pays one `includes` for it.
 */
function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const name = key.replaceAll('\u0000', '\uFFFD');
    // An SD-ID or PARAM-NAME `__proto__` stays a key (which validation refuses), not a prototype.
    Object.defineProperty(out, name, {
      value: withoutNul(item),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out as T;
}

function toEntry(parsed: SyslogMessage, keyElementId: string, hasNul: boolean): DecodedSyslog {
  const data = parsed.structuredData;
  let apiKey: string | undefined;
  let sd: StructuredData | undefined = data;
  if (data !== undefined && keyElementId in data) ({ apiKey, rest: sd } = extractKey(data, keyElementId));
  const text = storableText(parsed.message);
  const message = messageText(text);
  const hostname = short(parsed.hostname);
  // Assigned one by one, in the order of the mapping table (the stored JSON's key order), and only
  // when set: one object per message, no copy, no `delete`.
  const attributes: SyslogAttributes = { format: parsed.format };
  attributes.facility = FACILITY_NAMES[parsed.facility];
  attributes.severity = SEVERITY_NAMES[parsed.severity];
  if (hostname !== undefined) attributes.hostname = hostname;
  if (parsed.procId !== undefined) attributes.procid = short(parsed.procId);
  if (parsed.msgId !== undefined) attributes.msgid = short(parsed.msgId);
  if (sd !== undefined) attributes.sd = sd;
  if (parsed.sequence !== undefined) attributes.sequence = parsed.sequence;
  if (parsed.mnemonic !== undefined) attributes.mnemonic = short(parsed.mnemonic);
  if (parsed.deviceTime !== undefined) attributes.device_time = parsed.deviceTime;
  if (message !== text && text.length > 0) attributes.truncated = true;
  // Structured data is the one open-ended part: beyond the attributes limit it is dropped (and said so)
  // rather than losing the whole message to validation.
  if (
    sd !== undefined &&
    attributesSizeBound(attributes) > MAX_ATTRIBUTES_BYTES &&
    Buffer.byteLength(JSON.stringify({ syslog: attributes }), 'utf8') > MAX_ATTRIBUTES_BYTES
  ) {
    delete attributes.sd;
    attributes.sd_dropped = true;
  }
  // Header fields and structured data are stored as sent, except for a NUL (the message and service
  // have theirs replaced by storableText).
  const stored = hasNul ? withoutNul(attributes) : attributes;
  const serviceText = parsed.appName ?? hostname;
  const service =
    (serviceText === undefined ? '' : storableText(serviceText).slice(0, MAX_SERVICE_LENGTH)) ||
    FALLBACK_SERVICE;
  const level = LEVELS[parsed.severity];
  const entry: SyslogLogEntry =
    parsed.timestamp !== undefined
      ? { timestamp: parsed.timestamp, level, service, message, attributes: { syslog: stored } }
      : { level, service, message, attributes: { syslog: stored } };
  return apiKey !== undefined ? { entry, apiKey, parsed: true } : { entry, parsed: true };
}

function rawEntry(text: string, failure: Extract<SyslogParse, { ok: false }>): DecodedSyslog {
  const storable = storableText(text);
  const message = messageText(storable);
  return {
    entry: {
      level: 'info',
      service: FALLBACK_SERVICE,
      message,
      attributes: {
        syslog: withoutUndefined({
          facility: failure.facility === undefined ? undefined : FACILITY_NAMES[failure.facility],
          severity: failure.severity === undefined ? undefined : SEVERITY_NAMES[failure.severity],
          truncated: message !== storable && storable.length > 0 ? true : undefined,
          // The problem can quote the message (a NUL in it would make the entry unstorable).
          parse_error: storableText(failure.problem),
        }),
      },
    },
    parsed: false,
  };
}

/** Parses one frame (TCP) or datagram (UDP) as RFC 5424 or BSD syslog. Never throws. */
export function parseSyslog(text: string, options: Omit<SyslogDecodeOptions, 'keyElementId'>): SyslogParse {
  const pri = readPri(text);
  if (pri === null) return { ok: false, problem: 'no valid <PRI> at the start' };
  return looksLikeRfc5424(text, pri.end) ? parseRfc5424(text) : parseRfc3164(text, options);
}

/** One frame or datagram -> the log entry to ingest and the API key it carried. Never throws. */
export function decodeSyslogFrame(frame: Buffer | string, options: SyslogDecodeOptions): DecodedSyslog {
  const text = withoutTrailingLineEnds(typeof frame === 'string' ? frame : frame.toString('utf8'));
  let parsed: SyslogParse;
  try {
    parsed = parseSyslog(text, options);
  } catch (error) {
    // The parsers are written not to throw; this keeps a bug in them from costing the message.
    parsed = { ok: false, problem: `parser error: ${(error as Error).message}` };
  }
  return parsed.ok
    ? toEntry(parsed.message, options.keyElementId, text.includes('\u0000'))
    : rawEntry(text, parsed);
}
