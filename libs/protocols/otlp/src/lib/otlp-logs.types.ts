// An ExportLogsServiceRequest as both decoders (protobuf and OTLP JSON) deliver it: the same shape whatever
// the wire format, so the mapping onto the log entry exists once. AnyValues are already plain JSON values.

/** An OTLP AnyValue as plain JSON: kvlist -> object, array -> array, bytes -> base64 string, an empty AnyValue -> null. */
export type OtlpValue = string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };

export type OtlpAttributes = Record<string, OtlpValue>;

export interface OtlpLogRecord {
  /**
   * time_unix_nano in whole milliseconds (the digits past the millisecond dropped, as the log entry keeps
   * time), or NO_TIME when it is 0, the spec's "unknown". Milliseconds rather than a bigint of nanoseconds:
   * a BigInt per time field was an allocation per record for digits nobody keeps.
   */
  timeUnixMs: number;
  /** observed_time_unix_nano, the same way. */
  observedTimeUnixMs: number;
  /** SeverityNumber; 0 is SEVERITY_NUMBER_UNSPECIFIED. */
  severityNumber: number;
  severityText: string;
  /** undefined when the record has no body. */
  body: OtlpValue | undefined;
  attributes: OtlpAttributes;
  droppedAttributesCount: number;
  flags: number;
  /** Lower-case hex ('' when absent); not checked for length here: the log entry's rules do that per record. */
  traceId: string;
  spanId: string;
  eventName: string;
}

export interface OtlpScopeLogs {
  scope: { name: string; version: string; attributes: OtlpAttributes };
  logRecords: OtlpLogRecord[];
}

export interface OtlpResourceLogs {
  resource: { attributes: OtlpAttributes };
  scopeLogs: OtlpScopeLogs[];
}

export interface OtlpLogsRequest {
  resourceLogs: OtlpResourceLogs[];
}

/** The request's wire format; the answer is written in the same one. */
export type OtlpEncoding = 'protobuf' | 'json';
