// Route documentation, kept out of the controllers' way: one decorator per route.
import { applyDecorators } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import {
  ErrorModel,
  LogContextModel,
  LogCountModel,
  LogHistogramModel,
  LogPageModel,
  QueuedBatchModel,
  QueuedOneModel,
  ServiceListModel,
} from './api-models.openapi';
import { LOG_ENTRY_SCHEMA_NAME } from './log-entry.openapi';

const entryRef = { $ref: `#/components/schemas/${LOG_ENTRY_SCHEMA_NAME}` };

const keyed = () =>
  applyDecorators(
    ApiSecurity('bearer'),
    ApiSecurity('api-key'),
    ApiUnauthorizedResponse({
      description: 'No API key, or not a valid one (when keys are configured)',
      type: ErrorModel,
    }),
  );

const writes = () =>
  applyDecorators(
    ApiTags('ingest'),
    keyed(),
    ApiConsumes('application/json'),
    ApiBadRequestResponse({ description: 'Invalid JSON or entry; nothing queued', type: ErrorModel }),
    ApiPayloadTooLargeResponse({
      description: 'Body over MAX_BODY_BYTES, or more entries than allowed',
      type: ErrorModel,
    }),
    ApiResponse({ status: 415, description: 'Unsupported content type or encoding', type: ErrorModel }),
    ApiTooManyRequestsResponse({
      description: "Over the tenant's ingest quota (Retry-After)",
      type: ErrorModel,
    }),
    ApiServiceUnavailableResponse({
      description: 'Redis unavailable or backlog too long (Retry-After)',
      type: ErrorModel,
    }),
  );

export const ApiIngestOne = () =>
  applyDecorators(
    writes(),
    ApiOperation({ summary: 'Submit one log entry' }),
    ApiBody({ schema: entryRef }),
    ApiAcceptedResponse({ description: 'Queued', type: QueuedOneModel }),
  );

export const ApiIngestBatch = () =>
  applyDecorators(
    writes(),
    ApiOperation({
      summary: 'Submit a batch, all or nothing',
      description:
        'A JSON array, or NDJSON (application/x-ndjson, one entry per line); optionally Content-Encoding: gzip.',
    }),
    ApiConsumes('application/x-ndjson'),
    ApiBody({ schema: { type: 'array', items: entryRef } }),
    ApiAcceptedResponse({ description: 'Queued', type: QueuedBatchModel }),
  );

const attributeFilter = () =>
  ApiQuery({
    name: 'attr.{key}',
    required: false,
    description:
      'Attribute equality, e.g. attr.region=eu or attr.order.id=42 (nested keys separated by dots). ' +
      'A value that reads as a JSON number, true, false or null also matches that JSON value. Up to 10.',
    schema: { type: 'string' },
  });

const reads = () =>
  applyDecorators(
    ApiTags('query'),
    keyed(),
    attributeFilter(),
    ApiBadRequestResponse({ description: 'A bad parameter; every one is named', type: ErrorModel }),
    ApiServiceUnavailableResponse({
      description: 'The query ran past QUERY_TIMEOUT_MS, or PostgreSQL is unavailable',
      type: ErrorModel,
    }),
  );

export const ApiSearchLogs = () =>
  applyDecorators(
    reads(),
    ApiOperation({ summary: "Your tenant's entries, newest first, one page at a time (keyset pagination)" }),
    ApiOkResponse({ type: LogPageModel }),
  );

export const ApiCountLogs = () =>
  applyDecorators(
    reads(),
    ApiOperation({
      summary: "How many of your tenant's entries match the filters (limit and cursor do not apply)",
    }),
    ApiOkResponse({ type: LogCountModel }),
  );

export const ApiTailLogs = () =>
  applyDecorators(
    reads(),
    ApiOperation({
      summary: "Live tail: your tenant's new entries as Server-Sent Events, with the same filters",
      description:
        'Events: `event: entry` with one entry as JSON per event; `event: dropped` when this reader fell too far behind ' +
        '(the connection then closes; reconnect to go on); comment lines as heartbeats. Entries the worker trimmed ' +
        'from the stream before this reader saw them are missed; use GET /api/logs for the complete record.',
    }),
    ApiProduces('text/event-stream'),
    ApiOkResponse({
      description: 'An event stream',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    }),
    ApiTooManyRequestsResponse({
      description:
        'Your tenant already has TAIL_MAX_PER_TENANT tails open on this instance (or, from nginx, your address has ' +
        'TAIL_MAX_PER_IP open); has Retry-After',
      type: ErrorModel,
    }),
    ApiServiceUnavailableResponse({
      description: 'Too many tail readers on this instance (TAIL_MAX_CLIENTS); has Retry-After',
      type: ErrorModel,
    }),
  );

export const ApiLogHistogram = () =>
  applyDecorators(
    reads(),
    ApiOperation({
      summary: 'Matching entries per time bucket and level (the console histogram)',
      description:
        'The filters of GET /api/logs (no limit, cursor). The range is always bounded: `to` defaults to now, `from` to ' +
        '24 hours before `to`. Buckets are aligned to the interval since the Unix epoch (UTC).',
    }),
    ApiQuery({
      name: 'interval',
      required: false,
      enum: ['1s', '5s', '10s', '30s', '1m', '5m', '10m', '30m', '1h', '3h', '6h', '12h', '1d', '7d'],
      description:
        'Bucket width. Default: the smallest that gives at most 120 buckets over the range; one that gives more than 1000 is a 400.',
    }),
    ApiOkResponse({ type: LogHistogramModel }),
  );

export const ApiLogContext = () =>
  applyDecorators(
    ApiTags('query'),
    keyed(),
    ApiOperation({ summary: 'Entries of one service around a moment ("show context")' }),
    ApiQuery({ name: 'service', required: true, schema: { type: 'string' } }),
    ApiQuery({
      name: 'at',
      required: true,
      description: 'The moment: ISO-8601 with a zone, or epoch milliseconds',
      schema: { type: 'string' },
    }),
    ApiQuery({
      name: 'limit',
      required: false,
      description: 'Entries on each side, 1-100 (default 20)',
      schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    }),
    ApiBadRequestResponse({ description: 'A bad parameter; every one is named', type: ErrorModel }),
    ApiServiceUnavailableResponse({ description: 'PostgreSQL is unavailable or too slow', type: ErrorModel }),
    ApiOkResponse({ type: LogContextModel }),
  );

export const ApiServices = () =>
  applyDecorators(
    ApiTags('query'),
    keyed(),
    ApiOperation({ summary: "Your tenant's services (every service with a stored entry), sorted by name" }),
    ApiServiceUnavailableResponse({ description: 'PostgreSQL is unavailable or too slow', type: ErrorModel }),
    ApiOkResponse({ type: ServiceListModel }),
  );
