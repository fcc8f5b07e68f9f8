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
 * takes the COPY path (about twice the unnest INSERT's rate in the measurements of TOOLCHAIN.md:
 * 111k–119k against 46k–54k rows/s). Both statements take the same fields, from rowFields().
 */
const COLUMNS =
  'ts, received_at, level, service, message, attributes, trace_id, span_id, event_id, stream_id, tenant';
const COPY_SQL = `COPY logs (${COLUMNS}) FROM STDIN`;
const UNIQUE_VIOLATION = '23505';

const INSERT_BATCH_SQL = `
  INSERT INTO logs (${COLUMNS})
  SELECT * FROM unnest($1::timestamptz[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::jsonb[],
                       $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
  ON CONFLICT DO NOTHING`;

export interface InsertOutcome {
  /** Rows written now. */
  inserted: number;
  /** Rows skipped because their stream id or event id was already stored. */
  duplicates: number;
}

/** One row's values as text, in COLUMNS order: what COPY writes and what the unnest INSERT binds. */
function rowFields(e: StoredLogEntry): (string | null)[] {
  return [
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
  ];
}

function copyText(entries: readonly StoredLogEntry[]): string {
  let text = '';
  for (const e of entries) text += copyRow(rowFields(e));
  return text;
}

/** The batch as one array per column, for unnest(). */
function insertParameters(entries: readonly StoredLogEntry[]): (string | null)[][] {
  const columns: (string | null)[][] = COLUMNS.split(', ').map(() => []);
  for (const e of entries) rowFields(e).forEach((value, i) => columns[i].push(value));
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
