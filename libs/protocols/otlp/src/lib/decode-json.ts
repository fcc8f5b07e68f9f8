// OTLP/JSON (the proto3 JSON mapping with OTLP's exceptions): lowerCamelCase keys, the original snake_case
// names also accepted; trace and span ids as hex, not base64; 64-bit integers as decimal strings or numbers;
// enums as numbers (names accepted); null means the field's default; unknown fields are ignored, as
// receivers must. A value of the wrong JSON type anywhere makes the whole body undecodable (400).
import { doubleValue } from './decode-protobuf';
import { OtlpDecodeError } from './otlp-decode-error';
import {
  OtlpAttributes,
  OtlpLogRecord,
  OtlpLogsRequest,
  OtlpResourceLogs,
  OtlpScopeLogs,
  OtlpValue,
} from './otlp-logs.types';
import { setOwn } from './object-keys';
import { millisOfNanos } from './unix-time';

type JsonObject = Record<string, unknown>;

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const DECIMAL_INTEGER = /^-?\d+$/;
const HEX = /^[0-9a-fA-F]*$/;
// Standard or URL-safe base64, padding optional, as proto3's JSON mapping accepts for bytes.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

// SeverityNumber names, for senders that write enums by name (proto3 JSON allows it; OTLP asks for numbers).
const SEVERITY_NAMES: ReadonlyMap<string, number> = new Map(
  ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((name, group) =>
    ['', '2', '3', '4'].map((suffix, step): [string, number] => [
      `SEVERITY_NUMBER_${name}${suffix}`,
      group * 4 + step + 1,
    ]),
  ),
).set('SEVERITY_NUMBER_UNSPECIFIED', 0);

function fail(path: string, problem: string): never {
  throw new OtlpDecodeError(`${path} ${problem}`);
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** A field by its JSON name or its proto name; null and absent both mean "default". */
function field(object: JsonObject, jsonName: string, protoName: string): unknown {
  const value = object[jsonName] ?? object[protoName];
  return value === null ? undefined : value;
}

function asObject(value: unknown, path: string): JsonObject | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(path, `must be a JSON object (got ${kind(value)})`);
  }
  return value as JsonObject;
}

function asArray(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    fail(path, `must be a JSON array (got ${kind(value)})`);
  }
  return value;
}

function asString(value: unknown, path: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') {
    fail(path, `must be a string (got ${kind(value)})`);
  }
  return value;
}

/** A 64-bit integer: a decimal string or an integral JSON number, within [min, max]. */
function asBigInt(value: unknown, path: string, min: bigint, max: bigint): bigint {
  let parsed: bigint;
  if (typeof value === 'string' && DECIMAL_INTEGER.test(value)) {
    parsed = BigInt(value);
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    parsed = BigInt(value);
  } else {
    fail(path, `must be an integer as a decimal string or a number (got ${kind(value)})`);
  }
  if (parsed < min || parsed > max) {
    fail(path, `must be between ${min} and ${max}`);
  }
  return parsed;
}

function asUint64(value: unknown, path: string): bigint {
  return value === undefined ? 0n : asBigInt(value, path, 0n, UINT64_MAX);
}

/** A 32-bit field (uint32, fixed32, int32, enum number): a number or its decimal string. */
function asInt32(value: unknown, path: string, min: number, max: number): number {
  if (value === undefined) return 0;
  return Number(asBigInt(value, path, BigInt(min), BigInt(max)));
}

function asSeverityNumber(value: unknown, path: string): number {
  if (typeof value === 'string') {
    const byName = SEVERITY_NAMES.get(value);
    if (byName !== undefined) return byName;
  }
  return asInt32(value, path, -(2 ** 31), 2 ** 31 - 1);
}

/** trace_id / span_id: hex in OTLP/JSON. Kept lower-cased; length is the log entry's rule to check. */
function asHexId(value: unknown, path: string): string {
  const text = asString(value, path);
  if (!HEX.test(text)) {
    fail(path, 'must be hexadecimal (OTLP/JSON writes ids as hex, not base64)');
  }
  return text.toLowerCase();
}

function int64Value(value: unknown, path: string): number | string {
  const parsed = asBigInt(value, path, INT64_MIN, INT64_MAX);
  const asNumber = Number(parsed);
  return Number.isSafeInteger(asNumber) ? asNumber : parsed.toString();
}

function doubleOf(value: unknown, path: string): number | string {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return doubleValue(Number(value));
  }
  return fail(path, `must be a number (got ${kind(value)})`);
}

function bytesOf(value: unknown, path: string): string {
  const text = asString(value, path);
  if (!BASE64.test(text)) {
    fail(path, 'must be base64');
  }
  // Re-encoded so URL-safe or unpadded input is stored in one (standard) spelling.
  return Buffer.from(text, 'base64').toString('base64');
}

function anyValue(value: unknown, path: string): OtlpValue {
  const object = asObject(value, path);
  if (object === undefined) return null;
  let found: unknown;
  if ((found = field(object, 'stringValue', 'string_value')) !== undefined) {
    return asString(found, `${path}.stringValue`);
  }
  if ((found = field(object, 'boolValue', 'bool_value')) !== undefined) {
    if (typeof found !== 'boolean') fail(`${path}.boolValue`, `must be a boolean (got ${kind(found)})`);
    return found;
  }
  if ((found = field(object, 'intValue', 'int_value')) !== undefined) {
    return int64Value(found, `${path}.intValue`);
  }
  if ((found = field(object, 'doubleValue', 'double_value')) !== undefined) {
    return doubleOf(found, `${path}.doubleValue`);
  }
  if ((found = field(object, 'bytesValue', 'bytes_value')) !== undefined) {
    return bytesOf(found, `${path}.bytesValue`);
  }
  if ((found = field(object, 'arrayValue', 'array_value')) !== undefined) {
    const array = asObject(found, `${path}.arrayValue`) ?? {};
    return asArray(field(array, 'values', 'values'), `${path}.arrayValue.values`).map((item, i) =>
      anyValue(item, `${path}.arrayValue.values[${i}]`),
    );
  }
  if ((found = field(object, 'kvlistValue', 'kvlist_value')) !== undefined) {
    const kvlist = asObject(found, `${path}.kvlistValue`) ?? {};
    return keyValues(field(kvlist, 'values', 'values'), `${path}.kvlistValue.values`);
  }
  return null;
}

function keyValues(value: unknown, path: string): OtlpAttributes {
  const out: OtlpAttributes = {};
  asArray(value, path).forEach((item, i) => {
    const keyValue = asObject(item, `${path}[${i}]`) ?? {};
    const key = asString(field(keyValue, 'key', 'key'), `${path}[${i}].key`);
    setOwn(out, key, anyValue(field(keyValue, 'value', 'value'), `${path}[${i}].value`));
  });
  return out;
}

function logRecord(value: unknown, path: string): OtlpLogRecord {
  const record = asObject(value, path) ?? {};
  const body = field(record, 'body', 'body');
  return {
    timeUnixMs: millisOfNanos(
      asUint64(field(record, 'timeUnixNano', 'time_unix_nano'), `${path}.timeUnixNano`),
    ),
    observedTimeUnixMs: millisOfNanos(
      asUint64(
        field(record, 'observedTimeUnixNano', 'observed_time_unix_nano'),
        `${path}.observedTimeUnixNano`,
      ),
    ),
    severityNumber: asSeverityNumber(
      field(record, 'severityNumber', 'severity_number'),
      `${path}.severityNumber`,
    ),
    severityText: asString(field(record, 'severityText', 'severity_text'), `${path}.severityText`),
    body: body === undefined ? undefined : anyValue(body, `${path}.body`),
    attributes: keyValues(field(record, 'attributes', 'attributes'), `${path}.attributes`),
    droppedAttributesCount: asInt32(
      field(record, 'droppedAttributesCount', 'dropped_attributes_count'),
      `${path}.droppedAttributesCount`,
      0,
      2 ** 32 - 1,
    ),
    flags: asInt32(field(record, 'flags', 'flags'), `${path}.flags`, 0, 2 ** 32 - 1),
    traceId: asHexId(field(record, 'traceId', 'trace_id'), `${path}.traceId`),
    spanId: asHexId(field(record, 'spanId', 'span_id'), `${path}.spanId`),
    eventName: asString(field(record, 'eventName', 'event_name'), `${path}.eventName`),
  };
}

function scopeLogs(value: unknown, path: string): OtlpScopeLogs {
  const object = asObject(value, path) ?? {};
  const scope = asObject(field(object, 'scope', 'scope'), `${path}.scope`) ?? {};
  return {
    scope: {
      name: asString(field(scope, 'name', 'name'), `${path}.scope.name`),
      version: asString(field(scope, 'version', 'version'), `${path}.scope.version`),
      attributes: keyValues(field(scope, 'attributes', 'attributes'), `${path}.scope.attributes`),
    },
    logRecords: asArray(field(object, 'logRecords', 'log_records'), `${path}.logRecords`).map((record, i) =>
      logRecord(record, `${path}.logRecords[${i}]`),
    ),
  };
}

function resourceLogs(value: unknown, path: string): OtlpResourceLogs {
  const object = asObject(value, path) ?? {};
  const resource = asObject(field(object, 'resource', 'resource'), `${path}.resource`) ?? {};
  return {
    resource: {
      attributes: keyValues(field(resource, 'attributes', 'attributes'), `${path}.resource.attributes`),
    },
    scopeLogs: asArray(field(object, 'scopeLogs', 'scope_logs'), `${path}.scopeLogs`).map((scope, i) =>
      scopeLogs(scope, `${path}.scopeLogs[${i}]`),
    ),
  };
}

// fatal: a body that is not UTF-8 is refused rather than decoded with replacement characters.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes an OTLP/JSON ExportLogsServiceRequest. Throws OtlpDecodeError naming the first problem. */
export function decodeJsonRequest(body: Uint8Array): OtlpLogsRequest {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new OtlpDecodeError('body is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new OtlpDecodeError(`body is not valid JSON: ${(error as Error).message}`);
  }
  const request = asObject(parsed, 'body');
  if (request === undefined) {
    fail('body', 'must be a JSON object (got null)');
  }
  return {
    resourceLogs: asArray(field(request, 'resourceLogs', 'resource_logs'), 'resourceLogs').map((item, i) =>
      resourceLogs(item, `resourceLogs[${i}]`),
    ),
  };
}
