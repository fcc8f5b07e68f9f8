#!/usr/bin/env node
// Usage: node tools/bench/payloads/otlp-protobuf.mjs <records> <out-file>
//
// Writes one OTLP/HTTP ExportLogsServiceRequest (protobuf) of <records> log records: the bench's usual
// entries (tools/bench/lib/payload.mjs, the json-1000 ones) emitted through the OpenTelemetry SDK, one
// resource per service, and serialized by the protobuf exporter's own serializer
// (@opentelemetry/otlp-transformer's ProtobufLogsSerializer), so the bench decodes exactly what
// @opentelemetry/exporter-logs-otlp-proto sends. Without those packages it falls back to protobufjs with
// the same messages.
//
// Same facts as the /api/logs entries: the body is the message and the attributes are the record's
// attributes, as an SDK emits them. The mapping adds the instrumentation scope (`otel.scope`: name and
// version) to every entry, so an entry's stream value is ~343 bytes against ~291 for /api/logs
// (tools/bench/protocol-cost.mjs prints both): a cost of the documented mapping, not of the payload.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { makeEntries } from '../lib/payload.mjs';

const require = createRequire(import.meta.url);

// OpenTelemetry SeverityNumber of each bench level (the first of its range).
const SEVERITY = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 };
const SCOPE = { name: 'bench', version: '1.0.0' };

function usage(problem) {
  process.stderr.write(
    `${problem}\nusage: node tools/bench/payloads/otlp-protobuf.mjs <records> <out-file>\n`,
  );
  process.exit(2);
}

/** ExportLogsServiceRequest bytes through the SDK and the exporter's serializer, or null when not installed. */
async function serializeWithSdk(entries) {
  let sdk, resources, transformer;
  try {
    sdk = require('@opentelemetry/sdk-logs');
    resources = require('@opentelemetry/resources');
    transformer = require('@opentelemetry/otlp-transformer');
  } catch {
    return null;
  }
  const exporter = new sdk.InMemoryLogRecordExporter();
  const loggers = new Map();
  for (const entry of entries) {
    let logger = loggers.get(entry.service);
    if (logger === undefined) {
      const provider = new sdk.LoggerProvider({
        resource: resources.resourceFromAttributes({ 'service.name': entry.service }),
        processors: [new sdk.SimpleLogRecordProcessor({ exporter })],
      });
      logger = provider.getLogger(SCOPE.name, SCOPE.version);
      loggers.set(entry.service, logger);
    }
    logger.emit({
      timestamp: Date.parse(entry.timestamp),
      severityNumber: SEVERITY[entry.level],
      severityText: entry.level.toUpperCase(),
      body: entry.message,
      attributes: entry.attributes,
    });
  }
  return transformer.ProtobufLogsSerializer.serializeRequest(exporter.getFinishedLogRecords());
}

/** The same request with protobufjs (field numbers of opentelemetry-proto). */
function serializeWithProtobufjs(entries) {
  const protobuf = require('protobufjs');
  const root = protobuf.parse(`
    syntax = "proto3";
    message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
      double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; } }
    message ArrayValue { repeated AnyValue values = 1; }
    message KeyValueList { repeated KeyValue values = 1; }
    message KeyValue { string key = 1; AnyValue value = 2; }
    message InstrumentationScope { string name = 1; string version = 2; }
    message Resource { repeated KeyValue attributes = 1; }
    message LogRecord { fixed64 time_unix_nano = 1; int32 severity_number = 2; string severity_text = 3;
      AnyValue body = 5; repeated KeyValue attributes = 6; fixed64 observed_time_unix_nano = 11; }
    message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; }
    message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; }
    message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
  `).root;
  const anyValue = (value) => {
    if (typeof value === 'string') return { stringValue: value };
    if (typeof value === 'boolean') return { boolValue: value };
    if (Number.isInteger(value)) return { intValue: value };
    if (typeof value === 'number') return { doubleValue: value };
    if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
    return { kvlistValue: { values: keyValues(value) } };
  };
  const keyValues = (object) =>
    Object.entries(object).map(([key, value]) => ({ key, value: anyValue(value) }));
  const byService = new Map();
  const observed = `${BigInt(Date.now()) * 1_000_000n}`;
  for (const entry of entries) {
    const records = byService.get(entry.service) ?? [];
    byService.set(entry.service, records);
    records.push({
      timeUnixNano: `${BigInt(Date.parse(entry.timestamp)) * 1_000_000n}`,
      observedTimeUnixNano: observed,
      severityNumber: SEVERITY[entry.level],
      severityText: entry.level.toUpperCase(),
      body: { stringValue: entry.message },
      attributes: keyValues(entry.attributes),
    });
  }
  const Request = root.lookupType('ExportLogsServiceRequest');
  const request = {
    resourceLogs: [...byService].map(([service, logRecords]) => ({
      resource: { attributes: keyValues({ 'service.name': service }) },
      scopeLogs: [{ scope: SCOPE, logRecords }],
    })),
  };
  return Request.encode(Request.fromObject(request)).finish();
}

/** The ExportLogsServiceRequest bytes of `records` bench entries, and which serializer wrote them. */
export async function makeOtlpProtobufBody(records) {
  const entries = makeEntries(records);
  const sdkBody = await serializeWithSdk(entries);
  return Buffer.from(sdkBody ?? serializeWithProtobufjs(entries));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [recordsArg, outFile] = process.argv.slice(2);
  const records = Number(recordsArg);
  if (!Number.isInteger(records) || records < 1)
    usage(`<records> must be a positive integer (got ${recordsArg})`);
  if (!outFile) usage('<out-file> is missing');
  const entries = makeEntries(records);
  const sdkBody = await serializeWithSdk(entries);
  const body = sdkBody ?? serializeWithProtobufjs(entries);
  writeFileSync(outFile, body);
  process.stdout.write(
    `${outFile}: ${records} records, ${body.length} bytes (${sdkBody ? 'ProtobufLogsSerializer' : 'protobufjs'})\n`,
  );
}
