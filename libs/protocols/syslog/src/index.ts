// Public API of @logpipe/protocol-syslog: RFC 6587 framing, RFC 5424 and BSD (RFC 3164) parsing, and the
// mapping onto the log entry (table in lib/syslog-entry.mapper.ts). No Nest, no I/O.
export {
  SyslogFramer,
  type SyslogFrameEvent,
  type SyslogFramerLimits,
  type SyslogFramingProblem,
} from './lib/syslog-framer';
export {
  decodeSyslogFrame,
  parseSyslog,
  type DecodedSyslog,
  type SyslogAttributes,
  type SyslogDecodeOptions,
  type SyslogLogEntry,
} from './lib/syslog-entry.mapper';
export { type StructuredData, type SyslogMessage, type SyslogParse } from './lib/syslog-message';
export { isKnownTimeZone } from './lib/zoned-time';
