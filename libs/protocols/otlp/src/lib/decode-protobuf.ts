// Binary OTLP: protobufjs decodes the message tree (reflection-generated decoders, no hand-written wire
// reading), then the tree is turned into the wire-neutral OtlpLogsRequest.
import { ExportLogsServiceRequestType } from './otlp-proto';
import { setOwn } from './object-keys';
import {
  OtlpAttributes,
  OtlpLogRecord,
  OtlpLogsRequest,
  OtlpResourceLogs,
  OtlpScopeLogs,
  OtlpValue,
} from './otlp-logs.types';

// What protobufjs hands back (camelCase fields, defaults on the prototype, oneof name in `value`).
// 64-bit fields are Long objects when the `long` package is present (a protobufjs dependency), else numbers.
interface LongBits {
  low: number;
  high: number;
  unsigned: boolean;
  toNumber(): number;
  toString(): string;
}
type Int64 = number | LongBits;
interface PbAnyValue {
  value?: string;
  stringValue: string;
  boolValue: boolean;
  intValue: Int64;
  doubleValue: number;
  arrayValue: { values: PbAnyValue[] } | null;
  kvlistValue: { values: PbKeyValue[] } | null;
  bytesValue: Uint8Array;
}
interface PbKeyValue {
  key: string;
  value: PbAnyValue | null;
}
interface PbLogRecord {
  timeUnixNano: Int64;
  observedTimeUnixNano: Int64;
  severityNumber: number;
  severityText: string;
  body: PbAnyValue | null;
  attributes: PbKeyValue[];
  droppedAttributesCount: number;
  flags: number;
  traceId: Uint8Array;
  spanId: Uint8Array;
  eventName: string;
}
interface PbRequest {
  resourceLogs: {
    resource: { attributes: PbKeyValue[] } | null;
    scopeLogs: {
      scope: { name: string; version: string; attributes: PbKeyValue[] } | null;
      logRecords: PbLogRecord[];
    }[];
  }[];
}

/** An unsigned 64-bit field (fixed64) exactly, as a bigint. */
function toBigInt(value: Int64): bigint {
  if (typeof value === 'number') {
    return BigInt(value);
  }
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

/** int64 AnyValue: a JSON number while it is exact, else its decimal string. */
function int64Value(value: Int64): number | string {
  if (typeof value === 'number') {
    return value;
  }
  const asNumber = value.toNumber();
  return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
}

/** A double as JSON can hold it: NaN and the infinities become the strings proto3's JSON mapping uses. */
export function doubleValue(value: number): number | string {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

// protobufjs reads bytes as a Buffer (a view, no copy) but leaves an absent field at its default, an
// empty array.
function asBuffer(bytes: Uint8Array | number[]): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
}

function toBase64(bytes: Uint8Array | number[]): string {
  return asBuffer(bytes).toString('base64');
}

function toHex(bytes: Uint8Array | number[]): string {
  return bytes.length === 0 ? '' : asBuffer(bytes).toString('hex');
}

function anyValue(value: PbAnyValue | null): OtlpValue {
  switch (value?.value) {
    case 'stringValue':
      return value.stringValue;
    case 'boolValue':
      return value.boolValue;
    case 'intValue':
      return int64Value(value.intValue);
    case 'doubleValue':
      return doubleValue(value.doubleValue);
    case 'bytesValue':
      return toBase64(value.bytesValue);
    case 'arrayValue':
      return (value.arrayValue?.values ?? []).map(anyValue);
    case 'kvlistValue':
      return keyValues(value.kvlistValue?.values ?? []);
    default:
      // No field of the oneof set: the spec's empty value.
      return null;
  }
}

function keyValues(list: readonly PbKeyValue[]): OtlpAttributes {
  const out: OtlpAttributes = {};
  for (const { key, value } of list) {
    setOwn(out, key, anyValue(value));
  }
  return out;
}

function logRecord(record: PbLogRecord): OtlpLogRecord {
  return {
    timeUnixNano: toBigInt(record.timeUnixNano),
    observedTimeUnixNano: toBigInt(record.observedTimeUnixNano),
    severityNumber: record.severityNumber,
    severityText: record.severityText,
    body: record.body === null ? undefined : anyValue(record.body),
    attributes: keyValues(record.attributes),
    droppedAttributesCount: record.droppedAttributesCount,
    flags: record.flags,
    traceId: toHex(record.traceId),
    spanId: toHex(record.spanId),
    eventName: record.eventName,
  };
}

function resourceLogs(decoded: PbRequest['resourceLogs'][number]): OtlpResourceLogs {
  return {
    resource: { attributes: keyValues(decoded.resource?.attributes ?? []) },
    scopeLogs: decoded.scopeLogs.map(
      (scopeLogs): OtlpScopeLogs => ({
        scope: {
          name: scopeLogs.scope?.name ?? '',
          version: scopeLogs.scope?.version ?? '',
          attributes: keyValues(scopeLogs.scope?.attributes ?? []),
        },
        logRecords: scopeLogs.logRecords.map(logRecord),
      }),
    ),
  };
}

/** Decodes a binary ExportLogsServiceRequest. Throws the decoder's error (wrapped by the caller). */
export function decodeProtobufRequest(body: Uint8Array): OtlpLogsRequest {
  const decoded = ExportLogsServiceRequestType.decode(body) as unknown as PbRequest;
  return { resourceLogs: decoded.resourceLogs.map(resourceLogs) };
}
