import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeExportLogsRequest } from './decode-request';
import { mapExportLogsRequest } from './map-log-records';
import { OtlpDecodeError } from './otlp-decode-error';
import { ExportLogsServiceRequestType } from './otlp-proto';
import {
  jsonBody,
  protobufBody,
  SDK_EVENT_TIME_MS,
  SDK_SPAN_ID,
  SDK_TRACE_ID,
  sdkLogRecords,
} from '../test-support/sdk-log-records';

// examples/logs.json of open-telemetry/opentelemetry-proto, verbatim.
const SPEC_EXAMPLE = readFileSync(join(__dirname, '../test-support/spec-logs-example.json'));

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

function decodeJsonError(value: unknown): string {
  try {
    decodeExportLogsRequest(json(value), 'json');
  } catch (error) {
    expect(error).toBeInstanceOf(OtlpDecodeError);
    return (error as Error).message;
  }
  throw new Error('expected a decode error');
}

describe('decodeExportLogsRequest', () => {
  it('reads the OTLP/JSON example of the specification', () => {
    const request = decodeExportLogsRequest(SPEC_EXAMPLE, 'json');

    expect(request.resourceLogs).toHaveLength(1);
    const [resourceLogs] = request.resourceLogs;
    expect(resourceLogs.resource.attributes).toEqual({ 'service.name': 'my.service' });
    expect(resourceLogs.scopeLogs[0].scope).toEqual({
      name: 'my.library',
      version: '1.0.0',
      attributes: { 'my.scope.attribute': 'some scope attribute' },
    });
    const [record] = resourceLogs.scopeLogs[0].logRecords;
    expect(record).toEqual({
      timeUnixMs: 1544712660300,
      observedTimeUnixMs: 1544712660300,
      severityNumber: 0,
      severityText: 'Information',
      body: 'Example log record',
      attributes: {
        'string.attribute': 'some string',
        'boolean.attribute': true,
        'int.attribute': 10,
        'double.attribute': 637.704,
        'array.attribute': ['many', 'values'],
        'map.attribute': { 'some.map.key': 'some value' },
      },
      droppedAttributesCount: 0,
      flags: 0,
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      eventName: '',
    });
  });

  it('reads the same example in protobuf to the same request', () => {
    const example = JSON.parse(SPEC_EXAMPLE.toString()) as {
      resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[];
    };
    // protobufjs' own JSON reader takes ids as base64; give it bytes, as a protobuf sender has them.
    const record = example.resourceLogs[0].scopeLogs[0].logRecords[0];
    record['traceId'] = Buffer.from(record['traceId'] as string, 'hex');
    record['spanId'] = Buffer.from(record['spanId'] as string, 'hex');
    record['timeUnixNano'] = '1544712660300000000';
    record['observedTimeUnixNano'] = '1544712660300000000';
    const binary = ExportLogsServiceRequestType.encode(
      ExportLogsServiceRequestType.fromObject(example),
    ).finish();

    expect(decodeExportLogsRequest(binary, 'protobuf')).toEqual(
      decodeExportLogsRequest(SPEC_EXAMPLE, 'json'),
    );
  });

  it('decodes what the OpenTelemetry exporters serialize, identically from protobuf and from JSON', async () => {
    const records = await sdkLogRecords();

    const fromProtobuf = mapExportLogsRequest(
      decodeExportLogsRequest(protobufBody(records), 'protobuf'),
    ).entries;
    const fromJson = mapExportLogsRequest(decodeExportLogsRequest(jsonBody(records), 'json')).entries;

    expect(fromProtobuf).toEqual(fromJson);
    expect(fromProtobuf).toHaveLength(3);
    expect(fromProtobuf[0]).toMatchObject({
      timestamp: SDK_EVENT_TIME_MS,
      level: 'warn',
      service: 'checkout-api',
      message: 'payment slow',
      trace_id: SDK_TRACE_ID,
      span_id: SDK_SPAN_ID,
      attributes: {
        'http.route': '/v1/orders',
        'http.status_code': 200,
        ratio: 0.25,
        retried: false,
        tags: ['a', 'b'],
        raw: 'AQID',
        otel: {
          resource: { 'deployment.environment': 'test' },
          scope: { name: 'orders', version: '2.1.0' },
          flags: 1,
        },
      },
    });
    expect(fromProtobuf[1]).toMatchObject({
      level: 'error',
      message: '{"order":{"id":42,"lines":[1,2]},"note":"structured"}',
      attributes: {
        otel: {
          body: { order: { id: 42, lines: [1, 2] }, note: 'structured' },
          event_name: 'order.failed',
          severity_number: 18,
        },
      },
    });
    expect(fromProtobuf[1].trace_id).toBeUndefined();
    expect(fromProtobuf[2]).toMatchObject({ level: 'debug', message: 'cache warmed' });
  });

  it('accepts the proto field names (snake_case), int64 as numbers or strings and enums by name', () => {
    const request = decodeExportLogsRequest(
      json({
        resource_logs: [
          {
            scope_logs: [
              {
                log_records: [
                  {
                    time_unix_nano: 1_700_000_000_000_000_000,
                    observed_time_unix_nano: '1700000000001000000',
                    severity_number: 'SEVERITY_NUMBER_ERROR3',
                    severity_text: 'oops',
                    trace_id: '',
                    span_id: null,
                    event_name: 'e',
                    body: { int_value: '9007199254740993' },
                    attributes: [
                      { key: 'n', value: { double_value: 'NaN' } },
                      { key: 'b', value: { bytes_value: '_-8' } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
      'json',
    );
    expect(request.resourceLogs[0].scopeLogs[0].logRecords[0]).toMatchObject({
      timeUnixMs: 1_700_000_000_000,
      observedTimeUnixMs: 1_700_000_000_001,
      severityNumber: 19,
      severityText: 'oops',
      traceId: '',
      spanId: '',
      eventName: 'e',
      body: '9007199254740993',
      attributes: { n: 'NaN', b: '/+8=' },
    });
  });

  it('treats unknown fields as the OTLP/JSON rules ask: ignored', () => {
    const request = decodeExportLogsRequest(
      json({
        resourceLogs: [
          { futureField: 1, scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' }, z: [] }] }] },
        ],
      }),
      'json',
    );
    expect(request.resourceLogs[0].scopeLogs[0].logRecords[0].body).toBe('x');
  });

  it('refuses values of the wrong JSON type, naming where', () => {
    expect(decodeJsonError([])).toBe('body must be a JSON object (got array)');
    expect(decodeJsonError({ resourceLogs: {} })).toBe('resourceLogs must be a JSON array (got object)');
    expect(
      decodeJsonError({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 'soon' }] }] }] }),
    ).toBe(
      'resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano must be an integer as a decimal string or a number (got string)',
    );
    expect(
      decodeJsonError({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '-1' }] }] }] }),
    ).toMatch(/timeUnixNano must be between 0 and 18446744073709551615/);
    expect(decodeJsonError({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityText: 3 }] }] }] })).toBe(
      'resourceLogs[0].scopeLogs[0].logRecords[0].severityText must be a string (got number)',
    );
    expect(
      decodeJsonError({
        resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'W46/95gDgQPSabYzgT/GDA==' }] }] }],
      }),
    ).toMatch(/traceId must be hexadecimal/);
    expect(
      decodeJsonError({
        resourceLogs: [{ resource: { attributes: [{ key: 'k', value: { boolValue: 'yes' } }] } }],
      }),
    ).toBe('resourceLogs[0].resource.attributes[0].value.boolValue must be a boolean (got string)');
    expect(
      decodeJsonError({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { intValue: 1.5 } }] }] }] }),
    ).toMatch(/body.intValue must be an integer/);
  });

  it('refuses a body that is not JSON or not UTF-8', () => {
    expect(() => decodeExportLogsRequest(Buffer.from('{"resourceLogs":['), 'json')).toThrow(OtlpDecodeError);
    expect(() => decodeExportLogsRequest(Buffer.from([0x7b, 0xff, 0x7d]), 'json')).toThrow(
      'body is not valid UTF-8',
    );
  });

  it('refuses truncated protobuf with a decode error', async () => {
    const body = protobufBody(await sdkLogRecords());
    expect(() => decodeExportLogsRequest(body.subarray(0, body.length - 5), 'protobuf')).toThrow(
      OtlpDecodeError,
    );
  });

  it('reads an empty protobuf body as a request without records, as proto3 does', () => {
    expect(decodeExportLogsRequest(new Uint8Array(0), 'protobuf')).toEqual({ resourceLogs: [] });
  });
});
