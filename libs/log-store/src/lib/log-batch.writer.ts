import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ENCODED_ROW_COLUMNS,
  encodedRowField,
  encodedRowFields,
  encodedRowHasEventId,
  encodedRowLeadingFields,
  encodeLogRow,
  type EncodedLogRow,
  ROW_FIELD,
} from './encoded-log-row';
import { DEFAULT_PARTITION_INTERVAL, LOG_PARTITION_INTERVAL } from './partitioning';
import type { StoredLogEntry } from './stored-log-entry';
import { LOG_WRITE_LANES } from './write-lanes';

/*
 * The hot path drops below TypeORM's entity layer on purpose (TypeORM still owns the schema and the
 * migrations). Each batch is first sent with COPY, PostgreSQL's bulk path, in one transaction with the
 * batch's client event ids (`log_event_ids`, which keeps them unique across partitions): the batch
 * lands whole or not at all. COPY cannot skip rows that already exist, so when the transaction fails on
 * a unique index (a batch redelivered after a crash between commit and XACK: `logs (stream_id, ts)`; or
 * a client's retried event id: `log_event_ids`) the same batch goes through one INSERT ... SELECT FROM
 * unnest() statement that first claims the event ids ON CONFLICT DO NOTHING and then stores exactly the
 * rows that are new. Redeliveries are rare, so almost every batch takes the COPY path (about twice the
 * unnest INSERT's rate in the measurements of TOOLCHAIN.md: 111k–119k against 46k–54k rows/s). Both
 * statements take the same rows, encoded once (encoded-log-row.ts): COPY sends their text as it is,
 * the unnest INSERT binds their fields read back.
 *
 * A row whose partition does not exist yet (the maintenance job creates them ahead, but may not have
 * run) fails with 23514; the writer then creates the partitions the batch needs and writes it again.
 */
const COLUMN_NAMES = [...ENCODED_ROW_COLUMNS, 'lane'];
const COLUMNS = COLUMN_NAMES.join(', ');
const COPY_SQL = `COPY logs (${COLUMNS}) FROM STDIN`;
const UNIQUE_VIOLATION = '23505';
const CHECK_VIOLATION = '23514';
const NO_PARTITION = /no partition of relation/;
/** A batch may need a new partition, then (rarely: a boundary crossed meanwhile) one more. */
const PARTITION_ATTEMPTS = 3;

const CLAIM_EVENT_IDS_SQL = `
  INSERT INTO log_event_ids (tenant, event_id, stream_id, ts)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])`;

/** The type of each column in COLUMNS, for unnest(). */
const COLUMN_TYPES: Record<string, string> = {
  ts: 'timestamptz',
  received_at: 'timestamptz',
  attributes: 'jsonb',
  lane: 'smallint',
};
const UNNEST_PARAMETERS = COLUMN_NAMES.map(
  (column, i) => `$${i + 1}::${COLUMN_TYPES[column] ?? 'text'}[]`,
).join(', ');

const INSERT_BATCH_SQL = `
  WITH batch AS (
    SELECT * FROM unnest(${UNNEST_PARAMETERS}) AS b(${COLUMNS})
  ), claimed AS (
    INSERT INTO log_event_ids (tenant, event_id, stream_id, ts)
    SELECT tenant, event_id, stream_id, ts FROM batch WHERE event_id IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING stream_id
  )
  INSERT INTO logs (${COLUMNS})
  SELECT ${COLUMNS} FROM batch
  WHERE event_id IS NULL OR stream_id IN (SELECT stream_id FROM claimed)
  ON CONFLICT DO NOTHING`;

const CREATE_PARTITIONS_SQL = `
  SELECT logpipe_create_log_partition(min(t), $2::interval)
  FROM unnest($1::timestamptz[]) AS t
  GROUP BY date_bin($2::interval, t, timestamptz '2001-01-01 00:00:00+00')`;

export interface InsertOutcome {
  /** Rows written now. */
  inserted: number;
  /** Rows skipped because their stream id or event id was already stored. */
  duplicates: number;
}

/**
 * The rows one piece of a batch's COPY text holds: each piece is joined and turned into bytes on its own.
 * One string of the whole batch (1,000 rows of ~300 bytes) would be a large object: V8 keeps those in a
 * space of their own and moves one a scavenge finds alive (a COPY often outlives one) to the old
 * generation, where it stays until the next full collection. Pieces of ~64 rows (~20 KB) are ordinary
 * young objects, and their bytes go as they are made. Measured: BENCHMARKS.md, 2026-12-05 03:00.
 */
const COPY_PIECE_ROWS = 64;

/** The batch's COPY text, in pieces of COPY_PIECE_ROWS rows: each row, then its lane and the end of the line. */
function* copyPieces(rows: readonly EncodedLogRow[], lane: string): Generator<Buffer> {
  const rowEnd = `\t${lane}\n`;
  for (let start = 0; start < rows.length; start += COPY_PIECE_ROWS) {
    const piece = rows.slice(start, start + COPY_PIECE_ROWS);
    yield Buffer.from(piece.join(rowEnd) + rowEnd);
  }
}

/** The batch as one array per column, for unnest(). */
function insertParameters(rows: readonly EncodedLogRow[], lane: string): (string | null)[][] {
  const columns: (string | null)[][] = COLUMN_NAMES.map(() => []);
  for (const row of rows) {
    const fields = encodedRowFields(row);
    fields.push(lane);
    fields.forEach((value, i) => columns[i].push(value));
  }
  return columns;
}

/** The leading row fields an event id's claim reads (the columns begin with them). */
const CLAIM_FIELDS = Math.max(ROW_FIELD.event_id, ROW_FIELD.stream_id, ROW_FIELD.tenant, ROW_FIELD.ts) + 1;

/** The event ids of a batch as columns for CLAIM_EVENT_IDS_SQL; null when the batch has none. */
function eventIdParameters(rows: readonly EncodedLogRow[]): string[][] | null {
  const withId = rows.filter(encodedRowHasEventId).map((row) => encodedRowLeadingFields(row, CLAIM_FIELDS));
  if (withId.length === 0) return null;
  const column = (name: keyof typeof ROW_FIELD) => withId.map((fields) => fields[ROW_FIELD[name]] as string);
  return [column('tenant'), column('event_id'), column('stream_id'), column('ts')];
}

function sqlState(error: unknown): string | undefined {
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  const value = driverError?.code ?? code;
  return typeof value === 'string' ? value : undefined;
}

function isMissingPartition(error: unknown): boolean {
  return sqlState(error) === CHECK_VIOLATION && NO_PARTITION.test(String((error as Error).message));
}

@Injectable()
export class LogBatchWriter {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional()
    @Inject(LOG_PARTITION_INTERVAL)
    private readonly partitionInterval: string = DEFAULT_PARTITION_INTERVAL,
  ) {}

  /**
   * Stores `entries` once each (see above). `lane`: the write lane of the caller's writer (write-lanes.ts);
   * concurrent callers should use different lanes.
   */
  async insert(entries: readonly StoredLogEntry[], lane = 0): Promise<InsertOutcome> {
    return this.insertEncoded(
      entries.map((e) => encodeLogRow(e, e.streamId)),
      lane,
    );
  }

  /** insert() for rows the caller encoded already (encodeLogRow), as the worker does while it decodes. */
  async insertEncoded(rows: readonly EncodedLogRow[], lane = 0): Promise<InsertOutcome> {
    if (rows.length === 0) return { inserted: 0, duplicates: 0 };
    if (!Number.isInteger(lane) || lane < 0 || lane >= LOG_WRITE_LANES) {
      throw new RangeError(`write lane ${lane} is not one of 0-${LOG_WRITE_LANES - 1}`);
    }
    const runner = this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.write(runner, client, rows, String(lane));
        } catch (error) {
          if (!isMissingPartition(error) || attempt === PARTITION_ATTEMPTS) throw error;
          await runner.query(CREATE_PARTITIONS_SQL, [
            rows.map((row) => encodedRowField(row, 'ts')),
            this.partitionInterval,
          ]);
        }
      }
    } finally {
      await runner.release();
    }
  }

  private async write(
    runner: QueryRunner,
    client: PoolClient,
    rows: readonly EncodedLogRow[],
    lane: string,
  ): Promise<InsertOutcome> {
    const eventIds = eventIdParameters(rows);
    try {
      // A batch without event ids is one COPY, its own transaction; with ids, the claim joins it.
      if (eventIds !== null) await client.query('BEGIN');
      const copy = client.query(copyFrom(COPY_SQL));
      await pipeline(Readable.from(copyPieces(rows, lane)), copy);
      if (eventIds !== null) {
        await client.query(CLAIM_EVENT_IDS_SQL, eventIds);
        await client.query('COMMIT');
      }
      return { inserted: rows.length, duplicates: 0 };
    } catch (error) {
      // A broken connection cannot roll back, and the original error is the one worth reporting.
      if (eventIds !== null) await client.query('ROLLBACK').catch(() => undefined);
      if (sqlState(error) !== UNIQUE_VIOLATION) throw error;
    }
    const result = await runner.query(INSERT_BATCH_SQL, insertParameters(rows, lane), true);
    const inserted = Number(result.affected ?? 0);
    return { inserted, duplicates: rows.length - inserted };
  }
}
