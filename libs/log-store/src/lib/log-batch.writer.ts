import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { copyRow } from './copy-text';
import type { StoredLogEntry } from './stored-log-entry';

/*
 * The hot path drops below TypeORM's entity layer on purpose (TypeORM still owns the schema and the
 * migrations). Each batch is first sent with COPY, PostgreSQL's bulk path: one statement, so the
 * batch lands whole or not at all. COPY cannot skip rows that already exist, so when it fails on a
 * unique index (a batch redelivered after a crash between commit and XACK, or a client's retried
 * event id) the same batch goes through INSERT ... SELECT FROM unnest() ... ON CONFLICT DO NOTHING,
 * which stores exactly the rows that are missing. Redeliveries are rare, so almost every batch
 * takes the COPY path, which measured about twice the rate of the unnest INSERT (BENCHMARKS.md).
 */
const COLUMNS =
  'ts, received_at, level, service, message, attributes, trace_id, span_id, event_id, stream_id, tenant';
const COPY_SQL = `COPY logs (${COLUMNS}) FROM STDIN`;
const UNIQUE_VIOLATION = '23505';

const INSERT_BATCH_SQL = `
  INSERT INTO logs (${COLUMNS})
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

function copyText(entries: readonly StoredLogEntry[]): string {
  let text = '';
  for (const e of entries) {
    text += copyRow([
      new Date(e.timestamp).toISOString(),
      new Date(e.receivedAt).toISOString(),
      e.level,
      e.service,
      e.message,
      e.attributes === null ? null : JSON.stringify(e.attributes),
      e.traceId,
      e.spanId,
      e.eventId,
      e.streamId,
      e.tenant,
    ]);
  }
  return text;
}

function insertParameters(entries: readonly StoredLogEntry[]): unknown[][] {
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
  return columns;
}

@Injectable()
export class LogBatchWriter {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(entries: readonly StoredLogEntry[]): Promise<InsertOutcome> {
    if (entries.length === 0) return { inserted: 0, duplicates: 0 };
    const runner = this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      try {
        const copy = client.query(copyFrom(COPY_SQL));
        await pipeline(Readable.from([copyText(entries)]), copy);
        return { inserted: entries.length, duplicates: 0 };
      } catch (error) {
        if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
      }
      const result = await runner.query(INSERT_BATCH_SQL, insertParameters(entries), true);
      const inserted = Number(result.affected ?? 0);
      return { inserted, duplicates: entries.length - inserted };
    } finally {
      await runner.release();
    }
  }
}
