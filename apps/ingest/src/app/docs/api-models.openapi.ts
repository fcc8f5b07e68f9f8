// Response shapes as /docs shows them. Requests are documented from the DTOs that validate them
// (LogEntryDto, LogQueryDto); responses are built by code, so these classes describe that code.
import { LOG_LEVELS } from '@logpipe/log-schema';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ErrorModel {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({
    example: 'invalid query parameters: level: level must be one of: trace, debug, info, warn, error, fatal',
  })
  message!: string;
  @ApiPropertyOptional({
    description: 'Per-field or per-parameter problems',
    type: 'array',
    items: { type: 'object' },
  })
  errors?: unknown[];
}

export class QueuedOneModel {
  @ApiProperty({ example: 'queued' }) status!: string;
  @ApiProperty({
    description:
      "The entry's position in the Redis Stream, stored as its row's stream_id: a stream id, or `<stream id>#<i>` when it shared a chunk with other requests' entries; prefixed `s<k>:` on a sharded stream",
    example: '1795654546830-0',
  })
  id!: string;
}

export class QueuedBatchModel {
  @ApiProperty({ example: 'queued' }) status!: string;
  @ApiProperty({ example: 2 }) count!: number;
}

export class LogEntryViewModel {
  @ApiProperty({ format: 'date-time' }) timestamp!: string;
  @ApiProperty({ format: 'date-time' }) received_at!: string;
  @ApiProperty({ enum: LOG_LEVELS }) level!: string;
  @ApiProperty() service!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) attributes!: Record<
    string,
    unknown
  > | null;
  @ApiProperty({ type: String, nullable: true }) trace_id!: string | null;
  @ApiProperty({ type: String, nullable: true }) span_id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The id the client sent, if any' }) id!:
    | string
    | null;
  @ApiProperty({
    description:
      'Redis Stream position it travelled under: a stream id, or `<stream id>#<i>` inside a chunk; prefixed `s<k>:` on a sharded stream',
  })
  stream_id!: string;
}

export class LogPageModel {
  @ApiProperty({ type: [LogEntryViewModel], description: 'Newest first' }) entries!: LogEntryViewModel[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as cursor for the next (older) page; null on the last page',
  })
  next_cursor!: string | null;
}

export class LogCountModel {
  @ApiProperty({ example: 1234 }) count!: number;
}

export class HistogramBucketModel {
  @ApiProperty({ format: 'date-time', description: 'Bucket start; it ends where the next begins' })
  start!: string;
  @ApiProperty({ example: 42 }) total!: number;
  @ApiProperty({
    description: 'Entries per level (levels without entries are left out)',
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { info: 40, error: 2 },
  })
  counts!: Record<string, number>;
}

export class LogHistogramModel {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ example: '5m' }) interval!: string;
  @ApiProperty({ example: 300000 }) interval_ms!: number;
  @ApiProperty({
    type: [HistogramBucketModel],
    description: 'Every bucket of the range, oldest first, empty ones included',
  })
  buckets!: HistogramBucketModel[];
}

export class ServiceListModel {
  @ApiProperty({ type: [String], example: ['api', 'checkout'], description: 'Sorted by name' })
  services!: string[];
}

export class LogContextModel {
  @ApiProperty({
    type: [LogEntryViewModel],
    description: 'Newest first: up to `limit` entries after `at`, then up to `limit` at or before it',
  })
  entries!: LogEntryViewModel[];
}
