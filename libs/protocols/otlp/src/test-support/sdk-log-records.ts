// Log records made by the real OpenTelemetry SDK and serialized by the exporters' own serializers, so the
// decoders are tested against what the clients send (no network: an in-memory exporter collects them).
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  ReadableLogRecord,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';

export const SDK_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const SDK_SPAN_ID = '00f067aa0ba902b7';
/** 2026-01-15T10:00:00.123456789Z as [seconds, nanoseconds]. */
export const SDK_EVENT_TIME: [number, number] = [1_768_471_200, 123_456_789];
export const SDK_EVENT_TIME_MS = 1_768_471_200_123;

/** Three records of one resource and scope: a plain one in a span, a structured body, a text-only severity. */
export async function sdkLogRecords(): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout-api', 'deployment.environment': 'test' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('orders', '2.1.0');
  const inSpan = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: SDK_TRACE_ID,
    spanId: SDK_SPAN_ID,
    traceFlags: TraceFlags.SAMPLED,
  });
  logger.emit({
    timestamp: SDK_EVENT_TIME,
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: 'payment slow',
    context: inSpan,
    attributes: {
      'http.route': '/v1/orders',
      'http.status_code': 200,
      ratio: 0.25,
      retried: false,
      tags: ['a', 'b'],
      raw: new Uint8Array([1, 2, 3]),
    },
  });
  logger.emit({
    timestamp: SDK_EVENT_TIME,
    severityNumber: SeverityNumber.ERROR2,
    body: { order: { id: 42, lines: [1, 2] }, note: 'structured' },
    eventName: 'order.failed',
  });
  logger.emit({ severityText: 'debug', body: 'cache warmed' });
  await provider.forceFlush();
  // No provider.shutdown(): it would clear the in-memory exporter, and the simple processor holds no timer
  // or connection to release.
  return exporter.getFinishedLogRecords();
}

export function protobufBody(records: ReadableLogRecord[]): Uint8Array {
  const body = ProtobufLogsSerializer.serializeRequest(records);
  if (body === undefined) throw new Error('the protobuf serializer produced no body');
  return body;
}

export function jsonBody(records: ReadableLogRecord[]): Uint8Array {
  const body = JsonLogsSerializer.serializeRequest(records);
  if (body === undefined) throw new Error('the JSON serializer produced no body');
  return body;
}

export { JsonLogsSerializer, ProtobufLogsSerializer };
