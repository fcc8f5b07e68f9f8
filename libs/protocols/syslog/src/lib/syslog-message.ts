// A syslog message as read from the wire, before it becomes a log entry. Both parsers produce this.

/** RFC 5424 6.2.1 facility names, by code. */
export const FACILITY_NAMES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;

/** RFC 5424 6.2.1 severity keywords, by code. */
export const SEVERITY_NAMES = [
  'emerg',
  'alert',
  'crit',
  'err',
  'warning',
  'notice',
  'info',
  'debug',
] as const;

export type SyslogFacility = (typeof FACILITY_NAMES)[number];
export type SyslogSeverity = (typeof SEVERITY_NAMES)[number];

/** SD-ID -> PARAM-NAME -> value (a list when a name repeats inside one element, as RFC 5424 allows). */
export type StructuredData = Record<string, Record<string, string | string[]>>;

export interface SyslogMessage {
  readonly format: 'rfc5424' | 'rfc3164';
  readonly facility: number;
  readonly severity: number;
  /** Header time as epoch ms; undefined when the header has none (NILVALUE, or a BSD message without one). */
  readonly timestamp?: number;
  readonly hostname?: string;
  readonly appName?: string;
  readonly procId?: string;
  readonly msgId?: string;
  readonly structuredData?: StructuredData;
  readonly message: string;
  /** BSD vendor extras: Cisco's sequence number and `%FAC-SEV-MNEMONIC`. */
  readonly sequence?: string;
  readonly mnemonic?: string;
  /** The header time as the device wrote it, kept when it could not be trusted (Cisco's `*` = clock not set). */
  readonly deviceTime?: string;
}

export type SyslogParse =
  | { readonly ok: true; readonly message: SyslogMessage }
  | { readonly ok: false; readonly problem: string; readonly facility?: number; readonly severity?: number };

/** `<PRI>` at the start: 1-3 digits, at most 191 (facility 23, severity 7), no leading zero but `<0>`. */
export function readPri(text: string): { facility: number; severity: number; end: number } | null {
  if (text.charCodeAt(0) !== 0x3c) return null;
  const close = text.indexOf('>', 1);
  if (close < 2 || close > 4) return null;
  const digits = text.slice(1, close);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(digits)) return null;
  const pri = Number(digits);
  if (pri > 191) return null;
  return { facility: pri >> 3, severity: pri & 7, end: close + 1 };
}
