import { waitFor } from '@logpipe/e2e-support';
import { diag, DiagLogLevel, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as OTLPJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordExporter,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ShipperStack } from './support/shipper-stack';

// The worker is paused for the retry test until the backlog passes this, so ingest answers 503.
const HIGH_WATER = 200;
// Time for the worker, resumed when the exporter has met its first 503, to drain the backlog before the retry.
const RETRY_AFTER_SECONDS = 2;
// An hour back (inside ENTRY_MAX_AGE / ENTRY_MAX_FUTURE, which OTLP records obey per item), at .250 s.
const EVENT_MS = Math.floor((Date.now() - 3_600_000) / 1000) * 1000 + 250;

/** What the exporters report through the OpenTelemetry diag channel (retries, partial success). */
const diagMessages: string[] = [];
diag.setLogger(
  {
    error: (...args) => diagMessages.push(args.map(String).join(' ')),
    warn: (...args) => diagMessages.push(args.map(String).join(' ')),
    info: (...args) => diagMessages.push(args.map(String).join(' ')),
    debug: () => undefined,
    verbose: (...args) => diagMessages.push(args.map(String).join(' ')),
  },
  DiagLogLevel.VERBOSE,
);

/** The exporter under test, keeping the result of each export it made. */
class RecordingExporter implements LogRecordExporter {
  readonly results: ExportResult[] = [];
  constructor(readonly inner: LogRecordExporter) {}
  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(logs, (result) => {
      this.results.push(result);
      resultCallback(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

type Encoding = 'json' | 'protobuf';

function otlpExporter(stack: ShipperStack, encoding: Encoding, key: string, gzip = false): LogRecordExporter {
  const config = {
    url: `${stack.url}/v1/logs`,
    headers: { Authorization: `Bearer ${key}` },
    // Long enough for the retry test's backoff rounds.
    timeoutMillis: 30_000,
    compression: gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
  };
  return encoding === 'json' ? new OTLPJsonLogExporter(config) : new OTLPProtoLogExporter(config);
}

const inSpan = (traceId: string, spanId: string) =>
  trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });

/** `count` records through a LoggerProvider with the batch processor, as an application emits them. */
async function emit(
  exporter: RecordingExporter,
  service: string,
  count: number,
  each: (i: number) => {
    severityNumber?: SeverityNumber;
    body?: string;
    attributes?: Record<string, unknown>;
  } = () => ({}),
): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    processors: [
      new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 512, scheduledDelayMillis: 60_000 }),
    ],
  });
  const logger = provider.getLogger('shippers-e2e', '1.0.0');
  for (let i = 0; i < count; i++) {
    const { severityNumber = SeverityNumber.INFO, body = `record ${i}`, attributes = {} } = each(i);
    logger.emit({
      // Sub-millisecond digits (here 789 µs... 0.789 ms) that the store truncates.
      timestamp: [Math.floor((EVENT_MS + i) / 1000), ((EVENT_MS + i) % 1000) * 1e6 + 789_000],
      severityNumber,
      body,
      attributes: { index: i, ...attributes },
      context: inSpan('4bf92f3577b34da6a3ce929d0e0e4736', `00f067aa0ba9${String(i).padStart(4, '0')}`),
    });
  }
  await provider.forceFlush();
}

/** SDK records of two resources, captured in memory, to send in ONE export request. */
function recordsOfTwoServices(valid: string, invalid: string): ReadableLogRecord[] {
  const memory = new InMemoryLogRecordExporter();
  for (const [service, bodies] of [
    [valid, ['before']],
    [invalid, ['refused']],
    [valid, ['after']],
  ] as const) {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      processors: [new SimpleLogRecordProcessor({ exporter: memory })],
    });
    for (const body of bodies)
      provider.getLogger('partial').emit({ body, severityNumber: SeverityNumber.WARN });
  }
  return memory.getFinishedLogRecords();
}

/** The ingest instances behind nginx: the stack puts them on nginx's port + 1 and + 2 (tools/stack). */
function ingestUrls(stack: ShipperStack): string[] {
  const nginx = new URL(stack.url);
  return [1, 2].map((offset) => `http://${nginx.hostname}:${Number(nginx.port) + offset}`);
}

const exportOnce = (exporter: LogRecordExporter, records: ReadableLogRecord[]) =>
  new Promise<ExportResult>((resolve) => exporter.export(records, resolve));

describe('OTLP/HTTP logs with the OpenTelemetry SDK exporters, through nginx', () => {
  const stack = new ShipperStack();
  beforeAll(async () => {
    await stack.start({
      BACKLOG_HIGH_WATER: String(HIGH_WATER),
      BACKLOG_LOW_WATER: String(HIGH_WATER / 2),
      RETRY_AFTER_SECONDS: String(RETRY_AFTER_SECONDS),
    });
  });
  afterAll(async () => {
    await stack.stop('otlp');
  });

  describe.each<[Encoding, boolean]>([
    ['json', false],
    ['protobuf', false],
    ['protobuf', true],
  ])('exporter %s (gzip: %s)', (encoding, gzip) => {
    const service = `otlp-${encoding}-${gzip ? 'gzip' : 'plain'}-${randomBytes(3).toString('hex')}`;

    it('stores N emitted records exactly once, with service, level, message, ts, ids and attributes as mapped', async () => {
      const exporter = new RecordingExporter(otlpExporter(stack, encoding, stack.keys.acme, gzip));
      const levels = [
        SeverityNumber.DEBUG,
        SeverityNumber.INFO2,
        SeverityNumber.WARN,
        SeverityNumber.ERROR,
        SeverityNumber.FATAL,
      ];
      await emit(exporter, service, 25, (i) => ({
        severityNumber: levels[i % levels.length],
        attributes: { 'http.route': '/v1/orders', user: { id: i, roles: ['a', 'b'] }, ratio: 0.5 },
      }));
      expect(exporter.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);

      const rows = await stack.waitForRows('acme', 25, 'service = $2', [service]);
      expect(rows).toHaveLength(25);
      const byIndex = [...rows].sort(
        (a, b) => Number(a.attributes?.['index']) - Number(b.attributes?.['index']),
      );
      byIndex.forEach((row, i) => {
        expect({
          level: row.level,
          message: row.message,
          ts: row.ts.getTime(),
          trace: row.trace_id,
          span: row.span_id,
        }).toEqual({
          level: ['debug', 'info', 'warn', 'error', 'fatal'][i % 5],
          message: `record ${i}`,
          ts: EVENT_MS + i,
          trace: '4bf92f3577b34da6a3ce929d0e0e4736',
          span: `00f067aa0ba9${String(i).padStart(4, '0')}`,
        });
        // service.name is the service column; only INFO2 says more than its level.
        const otel = (row.attributes?.['otel'] ?? {}) as Record<string, unknown>;
        expect(otel['resource']).toBeUndefined();
        expect(otel['severity_number']).toBe(levels[i % 5] === SeverityNumber.INFO2 ? 10 : undefined);
        expect(row.attributes).toMatchObject({
          index: i,
          'http.route': '/v1/orders',
          user: { id: i, roles: ['a', 'b'] },
          ratio: 0.5,
          otel: {
            scope: { name: 'shippers-e2e', version: '1.0.0' },
            flags: 1,
          },
        });
      });
    });

    it("reports a wrong key as the exporter's own failure, and stores nothing", async () => {
      const exporter = new RecordingExporter(
        otlpExporter(stack, encoding, 'not-a-key-0123456789abcdef', gzip),
      );
      const wrongKeyService = `${service}-wrong-key`;
      await emit(exporter, wrongKeyService, 3);
      expect(exporter.results).toHaveLength(1);
      expect(exporter.results[0].code).toBe(ExportResultCode.FAILED);
      expect((exporter.results[0].error as { code?: number }).code).toBe(401);
      await stack.drained();
      expect(await stack.rows('acme', 'service = $2', [wrongKeyService])).toEqual([]);
    });

    it('stores the valid records of a request and says in partial_success which one was refused', async () => {
      const valid = `${service}-partial`;
      const tooLong = `${valid}-${'x'.repeat(130)}`;
      diagMessages.length = 0;
      const result = await exportOnce(
        otlpExporter(stack, encoding, stack.keys.acme, gzip),
        recordsOfTwoServices(valid, tooLong),
      );
      expect(result.code).toBe(ExportResultCode.SUCCESS);
      const warning = diagMessages.find((m) => m.startsWith('Received Partial Success response:'));
      expect(warning).toMatch(/"rejectedLogRecords":"?1"?/);
      expect(warning).toContain('resourceLogs[1].scopeLogs[0].logRecords[0]: service must be');
      const rows = await stack.waitForRows('acme', 2, 'service = $2', [valid]);
      expect(rows.map((row) => row.message).sort()).toEqual(['after', 'before']);
      expect(await stack.rows('acme', `message = 'refused' AND service LIKE $2`, [`${valid}%`])).toEqual([]);
    });
  });

  describe('malformed bodies get a 4xx and store nothing', () => {
    const service = `otlp-malformed-${randomBytes(3).toString('hex')}`;
    const post = (body: string | Buffer, headers: Record<string, string>) =>
      fetch(`${stack.url}/v1/logs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.keys.acme}`, ...headers },
        body,
      });
    const validJson = JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeLogs: [{ logRecords: [{ body: { stringValue: 'malformed suite' } }] }],
        },
      ],
    });

    it.each<[string, () => Promise<Response>, number]>([
      [
        'truncated protobuf',
        async () => post(await truncatedProtobuf(service), { 'content-type': 'application/x-protobuf' }),
        400,
      ],
      [
        'a wrong JSON type',
        () =>
          post(
            // A timestamp must be an integer (or its decimal string), not an object.
            validJson.replace('"logRecords":[{', '"logRecords":[{"timeUnixNano":{},'),
            { 'content-type': 'application/json' },
          ),
        400,
      ],
      [
        'JSON that is not JSON',
        () => post(validJson.slice(0, -3), { 'content-type': 'application/json' }),
        400,
      ],
      ['a wrong content type', () => post(validJson, { 'content-type': 'text/plain' }), 415],
      [
        'corrupt gzip',
        () =>
          post(Buffer.concat([gzipSync(validJson).subarray(0, 20), Buffer.from('garbage')]), {
            'content-type': 'application/json',
            'content-encoding': 'gzip',
          }),
        400,
      ],
    ])('%s', async (_name, send, status) => {
      const response = await send();
      expect(response.status).toBe(status);
      const body = response.headers.get('content-type')?.includes('json') ? await response.json() : undefined;
      if (body !== undefined) expect(body).toEqual({ code: 3, message: expect.any(String) });
      await stack.drained();
      expect(await stack.rows('acme', 'service = $2', [service])).toEqual([]);
    });
  });

  it("lands every record exactly once through the exporter's own retry after a 503", async () => {
    const service = `otlp-retry-${randomBytes(3).toString('hex')}`;
    const worker = stack.pid('worker');
    process.kill(worker, 'SIGSTOP');
    try {
      // Fill the backlog past the high-water mark while the worker is paused.
      const fill = await fetch(`${stack.url}/api/logs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.keys.globex}`, 'content-type': 'application/json' },
        body: JSON.stringify(
          Array.from({ length: HIGH_WATER + 10 }, (_, i) => ({
            level: 'info',
            service: 'filler',
            message: `f${i}`,
          })),
        ),
      });
      expect(fill.status).toBe(202);
      // Both ingest instances shed. Asked directly, so each one is asked until it does (each polls the
      // backlog on its own; nginx passes one instance's 503 on without trying the other).
      for (const ingestUrl of ingestUrls(stack)) {
        await waitFor(`${ingestUrl} to answer 503 on /v1/logs`, async () => {
          const probe = await fetch(`${ingestUrl}/v1/logs`, {
            method: 'POST',
            headers: { authorization: `Bearer ${stack.keys.acme}`, 'content-type': 'application/json' },
            body: '{}',
          });
          if (probe.status !== 503) return false;
          expect(probe.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
          return true;
        });
      }

      diagMessages.length = 0;
      const exporter = new RecordingExporter(otlpExporter(stack, 'protobuf', stack.keys.acme));
      const flushed = emit(exporter, service, 40);
      await waitFor('the exporter to schedule a retry', async () =>
        diagMessages.some((m) => m.startsWith('Scheduling export retry')),
      );
      process.kill(worker, 'SIGCONT');
      await flushed;
      expect(exporter.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);
    } finally {
      process.kill(worker, 'SIGCONT');
    }
    const rows = await stack.waitForRows('acme', 40, 'service = $2', [service]);
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((row) => row.message)).size).toBe(40);
  });
});

/** A real exporter's protobuf body (captured from the SDK's serializer), cut short. */
async function truncatedProtobuf(service: string): Promise<Buffer> {
  const { ProtobufLogsSerializer } = await import('@opentelemetry/otlp-transformer');
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    processors: [new SimpleLogRecordProcessor({ exporter: memory })],
  });
  provider.getLogger('malformed').emit({ body: 'x'.repeat(200) });
  const body = Buffer.from(ProtobufLogsSerializer.serializeRequest(memory.getFinishedLogRecords()) ?? []);
  return body.subarray(0, body.length - 50);
}
