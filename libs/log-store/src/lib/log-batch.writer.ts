import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { StoredLogEntry } from './stored-log-entry';

/*
 * The hot path drops below TypeORM's entity layer on purpose: one INSERT ... SELECT FROM unnest()
 * sends a whole batch as eleven array parameters (one round trip, one plan) and measured about 3x the
 * query builder's rate here (see TOOLCHAIN.md and BENCHMARKS.md). TypeORM still owns the schema and
 * the migrations. A single statement in autocommit is one transaction: the batch lands whole or not
 * at all. ON CONFLICT DO NOTHING (any unique index: stream_id, or (tenant, event_id) where an event id
 * is present) makes a redelivered batch or a client's retry a no-op instead of a duplicate.
 */
const INSERT_BATCH_SQL = `
  INSERT INTO logs (ts, received_at, level, service, message, attributes, trace_id, span_id, event_id, stream_id, tenant)
  SELECT timestamptz 'epoch' + u.ts_ms * interval '1 millisecond',
         timestamptz 'epoch' + u.received_ms * interval '1 millisecond',
         u.level, u.service, u.message, u.attributes::jsonb, u.trace_id, u.span_id, u.event_id, u.stream_id, u.tenant
  FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
              $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
       AS u(ts_ms, received_ms, level, service, message, attributes, trace_id, span_id, event_id, stream_id, tenant)
  ON CONFLICT DO NOTHING`;

export interface InsertOutcome {
  /** Rows written now. */
  inserted: number;
  /** Rows skipped because their stream id or event id was already stored. */
  duplicates: number;
}

@Injectable()
export class LogBatchWriter {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(entries: readonly StoredLogEntry[]): Promise<InsertOutcome> {
    if (entries.length === 0) return { inserted: 0, duplicates: 0 };
    const columns: unknown[][] = [[], [], [], [], [], [], [], [], [], [], []];
    for (const e of entries) {
      columns[0].push(e.timestamp);
      columns[1].push(e.receivedAt);
      columns[2].push(e.level);
      columns[3].push(e.service);
      columns[4].push(e.message);
      columns[5].push(e.attributes === null ? null : JSON.stringify(e.attributes));
      columns[6].push(e.traceId);
      columns[7].push(e.spanId);
      columns[8].push(e.eventId);
      columns[9].push(e.streamId);
      columns[10].push(e.tenant);
    }
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(INSERT_BATCH_SQL, columns, true);
      const inserted = Number(result.affected ?? 0);
      return { inserted, duplicates: entries.length - inserted };
    } finally {
      await runner.release();
    }
  }
}
