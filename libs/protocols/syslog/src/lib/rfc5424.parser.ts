// RFC 5424 (The Syslog Protocol), section 6:
//   SYSLOG-MSG = HEADER SP STRUCTURED-DATA [SP MSG]
//   HEADER     = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
// A field that is `-` (NILVALUE) is absent. The parser is strict about the header's shape (that is how a
// 5424 message is told from a BSD one) and lenient about field lengths, which real senders overrun.
import { parseTimestamp } from '@logpipe/log-schema';
import { readPri, type StructuredData, type SyslogParse } from './syslog-message';

const NIL = '-';
const BOM = '\uFEFF';

/** Whether the text after PRI starts like a 5424 header: VERSION (1-2 digits, no leading zero) then SP. */
export function looksLikeRfc5424(text: string, afterPri: number): boolean {
  return /^[1-9][0-9]? /.test(text.slice(afterPri, afterPri + 3));
}

class Cursor {
  constructor(
    readonly text: string,
    public at: number,
  ) {}

  /** The next header field up to SP (or the end); null when the field is empty. */
  field(): string | null {
    const space = this.text.indexOf(' ', this.at);
    const end = space === -1 ? this.text.length : space;
    if (end === this.at) return null;
    const value = this.text.slice(this.at, end);
    this.at = space === -1 ? end : end + 1;
    return value;
  }
}

/** RFC 3339 as 5424 restricts it; lower-case t/z are allowed by RFC 3339 and sent by some libraries. */
function readTimestamp(value: string): number | undefined | null {
  if (value === NIL) return undefined;
  const parsed = parseTimestamp(value.toUpperCase());
  return parsed.ok ? parsed.epochMs : null;
}

const SD_NAME = /^[^= \]"]{1,64}/;

/**
 * STRUCTURED-DATA at `cursor.at`: `-` or one or more `[SD-ID *(SP PARAM-NAME="value")]`. Inside a value
 * `\"`, `\\` and `\]` are escapes; a backslash before anything else is kept as written (RFC 5424 6.3.3).
 */
function readStructuredData(cursor: Cursor): StructuredData | undefined | string {
  const { text } = cursor;
  if (text[cursor.at] === '-' && (cursor.at + 1 === text.length || text[cursor.at + 1] === ' ')) {
    cursor.at += 1;
    return undefined;
  }
  if (text[cursor.at] !== '[') return 'structured data must be "-" or start with "["';
  const data: StructuredData = {};
  while (text[cursor.at] === '[') {
    cursor.at += 1;
    const id = SD_NAME.exec(text.slice(cursor.at, cursor.at + 65));
    if (id === null) return 'structured data element without a valid SD-ID';
    cursor.at += id[0].length;
    // A repeated SD-ID is not allowed by the RFC; merging keeps what the sender meant.
    const element = data[id[0]] ?? (data[id[0]] = {});
    for (;;) {
      if (text[cursor.at] === ']') {
        cursor.at += 1;
        break;
      }
      if (text[cursor.at] !== ' ') return `structured data element ${id[0]} is not closed with "]"`;
      cursor.at += 1;
      const name = SD_NAME.exec(text.slice(cursor.at, cursor.at + 65));
      if (
        name === null ||
        text[cursor.at + name[0].length] !== '=' ||
        text[cursor.at + name[0].length + 1] !== '"'
      ) {
        return `structured data element ${id[0]} has a parameter that is not NAME="value"`;
      }
      cursor.at += name[0].length + 2;
      let value = '';
      let closed = false;
      while (cursor.at < text.length) {
        const char = text[cursor.at];
        if (char === '\\' && cursor.at + 1 < text.length) {
          const next = text[cursor.at + 1];
          value += next === '"' || next === '\\' || next === ']' ? next : char + next;
          cursor.at += 2;
          continue;
        }
        cursor.at += 1;
        if (char === '"') {
          closed = true;
          break;
        }
        value += char;
      }
      if (!closed) return `structured data parameter ${id[0]}/${name[0]} has no closing quote`;
      const previous = element[name[0]];
      element[name[0]] = previous === undefined ? value : ([] as string[]).concat(previous, value);
    }
  }
  return data;
}

export function parseRfc5424(text: string): SyslogParse {
  const pri = readPri(text);
  if (pri === null) return { ok: false, problem: 'no valid <PRI> at the start' };
  const { facility, severity } = pri;
  const fail = (problem: string): SyslogParse => ({ ok: false, problem, facility, severity });
  const cursor = new Cursor(text, pri.end);
  const version = cursor.field();
  if (version === null || !/^[1-9][0-9]?$/.test(version)) return fail('RFC 5424 VERSION missing');
  const timestampText = cursor.field();
  const hostname = cursor.field();
  const appName = cursor.field();
  const procId = cursor.field();
  const msgId = cursor.field();
  if (timestampText === null || hostname === null || appName === null || procId === null || msgId === null) {
    return fail('RFC 5424 header is incomplete (TIMESTAMP HOSTNAME APP-NAME PROCID MSGID)');
  }
  const timestamp = readTimestamp(timestampText);
  if (timestamp === null)
    return fail(`RFC 5424 TIMESTAMP is not an RFC 3339 date-time: ${timestampText.slice(0, 40)}`);
  const structuredData = cursor.at >= text.length ? undefined : readStructuredData(cursor);
  if (typeof structuredData === 'string') return fail(structuredData);
  if (cursor.at < text.length && text[cursor.at] !== ' ')
    return fail('no SP between STRUCTURED-DATA and MSG');
  let message = text.slice(cursor.at + 1);
  if (message.startsWith(BOM)) message = message.slice(1);
  const present = (value: string): string | undefined => (value === NIL ? undefined : value);
  return {
    ok: true,
    message: {
      format: 'rfc5424',
      facility,
      severity,
      timestamp,
      hostname: present(hostname),
      appName: present(appName),
      procId: present(procId),
      msgId: present(msgId),
      structuredData,
      message,
    },
  };
}
