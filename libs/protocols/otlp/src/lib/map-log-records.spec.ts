import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_SERVICE_LENGTH, validateLogEntry } from '@logpipe/log-schema';
import { decodeExportLogsRequest } from './decode-request';
import {
  DEFAULT_LEVEL,
  levelOf,
  mapExportLogsRequest,
  NO_BODY_MESSAGE,
  UNKNOWN_SERVICE,
} from './map-log-records';
import { OtlpLogRecord, OtlpLogsRequest } from './otlp-logs.types';
import { NO_TIME } from './unix-time';

const SPEC_EXAMPLE = readFileSync(join(__dirname, '../test-support/spec-logs-example.json'));

function record(overrides: Partial<OtlpLogRecord> = {}): OtlpLogRecord {
  return {
    timeUnixMs: NO_TIME,
    observedTimeUnixMs: NO_TIME,
    severityNumber: 0,
    severityText: '',
    body: 'hello',
    attributes: {},
    droppedAttributesCount: 0,
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
    ...overrides,
  };
}

function request(records: OtlpLogRecord[], resourceAttributes = {}): OtlpLogsRequest {
  return {
    resourceLogs: [
      {
        resource: { attributes: resourceAttributes },
        scopeLogs: [{ scope: { name: '', version: '', attributes: {} }, logRecords: records }],
      },
    ],
  };
}

const mapOne = (one: OtlpLogRecord, resourceAttributes = {}) =>
  mapExportLogsRequest(request([one], resourceAttributes)).entries[0];

describe('mapExportLogsRequest', () => {
  it('maps the specification example onto a log entry the log schema accepts', () => {
    const { entries } = mapExportLogsRequest(decodeExportLogsRequest(SPEC_EXAMPLE, 'json'));

    expect(entries).toEqual([
      {
        timestamp: 1544712660300,
        level: 'info',
        service: 'my.service',
        message: 'Example log record',
        trace_id: '5b8efff798038103d269b633813fc60c',
        span_id: 'eee19b7ec3c1b174',
        attributes: {
          'string.attribute': 'some string',
          'boolean.attribute': true,
          'int.attribute': 10,
          'double.attribute': 637.704,
          'array.attribute': ['many', 'values'],
          'map.attribute': { 'some.map.key': 'some value' },
          otel: {
            scope: {
              name: 'my.library',
              version: '1.0.0',
              attributes: { 'my.scope.attribute': 'some scope attribute' },
            },
            severity_text: 'Information',
          },
        },
      },
    ]);
    const validation = validateLogEntry(entries[0], { receivedAtMs: 1_800_000_000_000, tenant: 'default' });
    expect(validation.ok).toBe(true);
  });

  it.each([
    [1, 'trace'],
    [4, 'trace'],
    [5, 'debug'],
    [8, 'debug'],
    [9, 'info'],
    [12, 'info'],
    [13, 'warn'],
    [16, 'warn'],
    [17, 'error'],
    [20, 'error'],
    [21, 'fatal'],
    [24, 'fatal'],
  ])('takes the level from severity_number %i: %s (over any severity_text)', (severityNumber, level) => {
    expect(levelOf(severityNumber, 'debug')).toBe(level);
  });

  it.each([
    ['WARNING', 'warn'],
    ['Information', 'info'],
    ['err', 'error'],
    ['CRITICAL', 'fatal'],
    ['INFO2', 'info'],
    [' Debug ', 'debug'],
    ['verbose', 'trace'],
  ])('takes the level from severity_text %p when the number is unspecified: %s', (text, level) => {
    expect(levelOf(0, text)).toBe(level);
  });

  it('uses the documented default level when neither says anything usable', () => {
    expect(DEFAULT_LEVEL).toBe('info');
    expect(levelOf(0, '')).toBe(DEFAULT_LEVEL);
    expect(levelOf(25, 'chatty')).toBe(DEFAULT_LEVEL);
  });

  it('keeps severity number and text only where the level does not already say them', () => {
    const otelOf = (severityNumber: number, severityText: string) =>
      mapOne(record({ severityNumber, severityText })).attributes?.['otel'];
    expect(otelOf(13, 'WARN')).toBeUndefined();
    expect(otelOf(14, 'Warning')).toEqual({ severity_number: 14, severity_text: 'Warning' });
    expect(otelOf(0, 'info')).toBeUndefined();
  });

  it('keeps the resource attributes but service.name, which is the service field', () => {
    const entry = mapOne(record(), { 'service.name': 'billing', 'host.name': 'h1' });
    expect(entry.attributes).toEqual({ otel: { resource: { 'host.name': 'h1' } } });
    expect(mapOne(record(), { 'service.name': 7 }).attributes).toEqual({
      otel: { resource: { 'service.name': 7 } },
    });
  });

  it('takes the service from service.name, else unknown_service', () => {
    expect(mapOne(record(), { 'service.name': 'billing' }).service).toBe('billing');
    expect(mapOne(record(), { 'service.name': '' }).service).toBe(UNKNOWN_SERVICE);
    expect(mapOne(record(), { 'host.name': 'h1' }).service).toBe(UNKNOWN_SERVICE);
    expect(mapOne(record()).service).toBe('unknown_service');
  });

  it('writes a structured body as JSON text and keeps its structure in attributes.otel.body', () => {
    const entry = mapOne(record({ body: { user: { id: 7 }, tags: ['x'] } }));
    expect(entry.message).toBe('{"user":{"id":7},"tags":["x"]}');
    expect(entry.attributes).toEqual({ otel: { body: { user: { id: 7 }, tags: ['x'] } } });
    expect(mapOne(record({ body: [1, 'two'] })).message).toBe('[1,"two"]');
  });

  it('writes scalar bodies as text and names an empty body by its event name or a placeholder', () => {
    expect(mapOne(record({ body: 42 })).message).toBe('42');
    expect(mapOne(record({ body: false })).message).toBe('false');
    expect(mapOne(record({ body: undefined, eventName: 'user.login' })).message).toBe('user.login');
    expect(mapOne(record({ body: '' })).message).toBe(NO_BODY_MESSAGE);
    expect(mapOne(record({ body: null })).message).toBe(NO_BODY_MESSAGE);
  });

  it('takes ts from time_unix_nano, else observed_time_unix_nano, else leaves it to receipt; truncated to the ms', () => {
    expect(mapOne(record({ timeUnixMs: 1_700_000_000_123, observedTimeUnixMs: 0 })).timestamp).toBe(
      1_700_000_000_123,
    );
    expect(mapOne(record({ observedTimeUnixMs: 1_700_000_000_456 })).timestamp).toBe(1_700_000_000_456);
    // A time below one millisecond is a time (the epoch's first), not an unknown one.
    expect(mapOne(record({ timeUnixMs: 0, observedTimeUnixMs: 5 })).timestamp).toBe(0);
    expect(mapOne(record())).not.toHaveProperty('timestamp');
  });

  it('treats empty and all-zero trace and span ids as absent', () => {
    const zero = mapOne(record({ traceId: '0'.repeat(32), spanId: '0'.repeat(16) }));
    expect(zero).not.toHaveProperty('trace_id');
    expect(zero).not.toHaveProperty('span_id');
    const set = mapOne(record({ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8) }));
    expect(set).toMatchObject({ trace_id: 'ab'.repeat(16), span_id: 'cd'.repeat(8) });
  });

  it("gives each record its own otel parts and its group's, never another record's", () => {
    const resource = { 'service.name': 'api', 'host.name': 'h1' };
    const { entries } = mapExportLogsRequest(
      request(
        [
          record({ flags: 1 }),
          record(),
          record({ attributes: { otel: 'mine' } }),
          record({ eventName: 'login' }),
          record(),
        ],
        resource,
      ),
    );
    const group = { resource: { 'host.name': 'h1' } };
    expect(entries.map((entry) => entry.attributes?.['otel'])).toEqual([
      { ...group, flags: 1 },
      group,
      { ...group, attribute: 'mine' },
      { ...group, event_name: 'login' },
      group,
    ]);
    // The plain records share one object; a record with parts of its own has a copy.
    expect(entries[1].attributes?.['otel']).toBe(entries[4].attributes?.['otel']);
    expect(entries[0].attributes?.['otel']).not.toBe(entries[1].attributes?.['otel']);
  });

  it('keeps a record attribute named otel under otel.attribute', () => {
    const entry = mapOne(record({ attributes: { otel: 'mine', k: 1 }, severityNumber: 10 }));
    expect(entry.attributes).toEqual({ k: 1, otel: { attribute: 'mine', severity_number: 10 } });
  });

  it('keeps a __proto__ key as an own key, so that the schema sees and refuses it', () => {
    const attributes = JSON.parse('{"__proto__": 1}') as Record<string, number>;
    const entry = mapOne(record({ attributes }));
    expect(Object.keys(entry.attributes ?? {})).toEqual(['__proto__']);
    expect(validateLogEntry(entry, { receivedAtMs: 0, tenant: 'default' }).ok).toBe(false);
  });

  it('leaves a too-long service name to the schema, which refuses that record only', () => {
    const { entries } = mapExportLogsRequest(
      request([record()], { 'service.name': 's'.repeat(MAX_SERVICE_LENGTH + 1) }),
    );
    const validation = validateLogEntry(entries[0], { receivedAtMs: 0, tenant: 'default' });
    expect(validation.ok).toBe(false);
  });

  it("names a record's position in the request", () => {
    const scope = { name: '', version: '', attributes: {} };
    const mapped = mapExportLogsRequest({
      resourceLogs: [
        {
          resource: { attributes: {} },
          scopeLogs: [
            { scope, logRecords: [record(), record()] },
            { scope, logRecords: [] },
          ],
        },
        { resource: { attributes: {} }, scopeLogs: [{ scope, logRecords: [record()] }] },
      ],
    });
    expect(mapped.entries).toHaveLength(3);
    expect(mapped.pathOf(1)).toBe('resourceLogs[0].scopeLogs[0].logRecords[1]');
    expect(mapped.pathOf(2)).toBe('resourceLogs[1].scopeLogs[0].logRecords[0]');
  });
});
