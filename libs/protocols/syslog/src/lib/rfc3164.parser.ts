// BSD syslog (RFC 3164) as devices really send it. The RFC describes `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG`;
// what arrives also has, in the wild:
//   - no year (the RFC's own format): the year that puts the time closest to the receipt time is taken;
//   - no zone: the receiving zone (`timeZone`, UTC unless configured) is assumed;
//   - no hostname (local senders, many appliances): `su: ...` right after the time;
//   - `TAG[pid]:` (Linux daemons), `TAG:` and no tag at all;
//   - Cisco IOS: a sequence number `123: ` before the time, a `*` (clock never set) or `.` (clock not in
//     sync) before it, milliseconds, a zone name and a `:` after it, then `%FAC-SEV-MNEMONIC: text`;
//   - a year after the day (`Mmm dd yyyy hh:mm:ss`, Cisco's `datetime year`, Juniper) and ISO/RFC 3339
//     times (rsyslog and syslog-ng templates that send high-precision times in the BSD layout).
// Anything after PRI that matches none of this is still a message: it is kept whole, with no time.
import { readPri, type SyslogParse } from './syslog-message';
import { zonedTimeToEpoch } from './zoned-time';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// `*`/`.` marker, month, day (space- or zero-padded), optional year, time, optional fraction, optional
// zone name (Cisco `show-timezone`), optional year after the time, optional `:` (Cisco), then SP.
const BSD_TIME =
  /^([*.]?)(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?: ([A-Z]{3,5}))?(?: (\d{4}))?:? /;
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?:? /;
const CISCO_SEQUENCE = /^(\d{1,10}): /;
const ORIGIN_ID = /^([A-Za-z0-9][A-Za-z0-9._-]{0,254}): /;
// A hostname or address: letters, digits, dots, dashes, underscores, and colons for IPv6; not ending in
// ':' (that is a tag) and not starting with '%' (a Cisco mnemonic) or '['.
const HOSTNAME = /^([A-Za-z0-9][A-Za-z0-9._-]*|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+) /;
const TAG = /^([^\s[\]:]{1,48})(?:\[([^\]\s]{1,128})\])?: ?/;
const CISCO_MNEMONIC = /^%([A-Z0-9_]+(?:-[A-Z0-9_]+)*)-([0-7])-([A-Z0-9_]+): ?/;
const UTC_NAMES = new Set(['UTC', 'GMT', 'Z']);

export interface BsdParseOptions {
  /** When the message arrived (epoch ms): decides the missing year. */
  readonly receivedAt: number;
  /** IANA zone of BSD times without a zone. */
  readonly timeZone: string;
}

function fractionMillis(fraction: string | undefined): number {
  return fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
}

function validClock(month: number, day: number, hour: number, minute: number, second: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60;
}

/** The year that puts month/day closest to the receipt time: Dec 31 received on Jan 1 is last year's. */
function closestYear(receivedAt: number, toEpoch: (year: number) => number): number {
  const year = new Date(receivedAt).getUTCFullYear();
  let best = toEpoch(year);
  for (const candidate of [year - 1, year + 1]) {
    const epoch = toEpoch(candidate);
    if (Math.abs(epoch - receivedAt) < Math.abs(best - receivedAt)) best = epoch;
  }
  return best;
}

interface TimeRead {
  readonly epochMs?: number;
  readonly deviceTime?: string;
  readonly length: number;
}

function readBsdTime(text: string, options: BsdParseOptions): TimeRead | null {
  const match = BSD_TIME.exec(text);
  if (match === null) return null;
  const [whole, marker, monthName, d, yearBefore, h, mi, s, fraction, zoneName, yearAfter] = match;
  const month = MONTHS.indexOf(monthName) + 1;
  const [day, hour, minute] = [Number(d), Number(h), Number(mi)];
  // A leap second reads as :59.999, the last instant epoch milliseconds can name for that minute.
  const leap = Number(s) === 60;
  const second = leap ? 59 : Number(s);
  const millis = leap ? 999 : fractionMillis(fraction);
  if (!validClock(month, day, hour, minute, Number(s))) return null;
  const deviceTime = whole.trimEnd().replace(/:$/, '');
  // `*` means the device's clock was never set (Cisco starts at Mar 1 1993): the time says nothing.
  if (marker === '*') return { deviceTime, length: whole.length };
  const zone = zoneName !== undefined && UTC_NAMES.has(zoneName) ? 'UTC' : options.timeZone;
  const toEpoch = (year: number): number =>
    zonedTimeToEpoch(year, month, day, hour, minute, second, millis, zone);
  const year = yearBefore ?? yearAfter;
  const epochMs = year !== undefined ? toEpoch(Number(year)) : closestYear(options.receivedAt, toEpoch);
  if (!Number.isFinite(epochMs) || epochMs < 0 || (year !== undefined && Number(year) < 1970)) {
    return { deviceTime, length: whole.length };
  }
  return {
    epochMs,
    length: whole.length,
    ...(zoneName !== undefined && zone !== 'UTC' ? { deviceTime } : {}),
  };
}

function readIsoTime(text: string, options: BsdParseOptions): TimeRead | null {
  const match = ISO_TIME.exec(text);
  if (match === null) return null;
  const [whole, y, mo, d, h, mi, s, fraction, offset] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  if (year < 1970 || !validClock(month, day, hour, minute, second) || second === 60) return null;
  const millis = fractionMillis(fraction);
  let epochMs: number;
  if (offset === undefined) {
    epochMs = zonedTimeToEpoch(year, month, day, hour, minute, second, millis, options.timeZone);
  } else {
    const sign = offset === 'Z' ? 0 : offset[0] === '-' ? -1 : 1;
    const digits = offset.replace(/[^0-9]/g, '');
    const minutes = sign === 0 ? 0 : sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
    epochMs = Date.UTC(year, month - 1, day, hour, minute, second, millis) - minutes * 60_000;
  }
  return { epochMs, length: whole.length };
}

export function parseRfc3164(text: string, options: BsdParseOptions): SyslogParse {
  const pri = readPri(text);
  if (pri === null) return { ok: false, problem: 'no valid <PRI> at the start' };
  let rest = text.slice(pri.end);

  const sequence = CISCO_SEQUENCE.exec(rest);
  if (sequence !== null) rest = rest.slice(sequence[0].length);

  let hostname: string | undefined;
  let time = readBsdTime(rest, options) ?? readIsoTime(rest, options);
  // Cisco's `logging origin-id`: `123: router1: *Mar  1 ...` puts the hostname before the time.
  const origin = sequence !== null && time === null ? ORIGIN_ID.exec(rest) : null;
  if (origin !== null) {
    const after = rest.slice(origin[0].length);
    time = readBsdTime(after, options) ?? readIsoTime(after, options);
    if (time !== null) {
      hostname = origin[1];
      rest = after;
    }
  }
  if (time !== null && hostname !== undefined) {
    rest = rest.slice(time.length);
  } else if (time !== null) {
    rest = rest.slice(time.length);
    // Only after a time: without one, the first word is as likely the message as a host.
    const host = HOSTNAME.exec(rest);
    const afterHost = host === null ? '' : rest.slice(host[0].length);
    // A word followed by `TAG:`/`%MNEMONIC:` or more words is the hostname; a lone `word: text` is a tag.
    if (host !== null && afterHost.length > 0) {
      hostname = host[1];
      rest = afterHost;
    }
  }

  let appName: string | undefined;
  let procId: string | undefined;
  let mnemonic: string | undefined;
  let message = rest;
  const cisco = CISCO_MNEMONIC.exec(rest);
  if (cisco !== null) {
    // The whole `%FAC-SEV-MNEMONIC: text` stays the message: that is what operators search for.
    mnemonic = `${cisco[1]}-${cisco[2]}-${cisco[3]}`;
  } else {
    const tag = TAG.exec(rest);
    if (tag !== null) {
      appName = tag[1];
      procId = tag[2];
      message = rest.slice(tag[0].length);
    }
  }
  return {
    ok: true,
    message: {
      format: 'rfc3164',
      facility: pri.facility,
      severity: pri.severity,
      timestamp: time?.epochMs,
      hostname,
      appName,
      procId,
      message,
      ...(sequence !== null ? { sequence: sequence[1] } : {}),
      ...(mnemonic !== undefined ? { mnemonic } : {}),
      ...(time?.deviceTime !== undefined ? { deviceTime: time.deviceTime } : {}),
    },
  };
}
