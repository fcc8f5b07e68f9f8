import { Check, Column, Entity, Generated, Index, PrimaryColumn } from 'typeorm';

/**
 * One stored log entry: the public `logs` table that people query with psql or Grafana.
 * The migrations own the DDL; this entity must describe exactly what they create (a test checks it).
 * The table is partitioned by RANGE (ts) (docs/store.md), so every unique index includes `ts`; client
 * event ids are kept unique in `log_event_ids` instead (LogEventIdEntity). The primary key is the entry's
 * stream position with its time, `(stream_id, ts)`: what keeps a redelivered batch from being stored twice
 * (migration 1796385600000).
 */
@Entity({ name: 'logs' })
// Read side: newest-first keyset pages of one tenant (scanned backwards), and trace lookups.
@Index('logs_tenant_ts_id_idx', ['tenant', 'ts', 'id'])
@Index('logs_tenant_trace_id_idx', ['tenant', 'traceId'], { where: 'trace_id IS NOT NULL' })
// GIN indexes with operator classes TypeORM cannot express: the migration creates them, and
// `synchronize: false` tells the schema comparison to leave them alone.
@Index('logs_attributes_idx', { synchronize: false })
// One trigram index per write lane (write-lanes.ts), partial: WHERE lane = n.
@Index('logs_message_trgm_lane0_idx', { synchronize: false })
@Index('logs_message_trgm_lane1_idx', { synchronize: false })
@Index('logs_message_trgm_lane2_idx', { synchronize: false })
// The console's covering index (INCLUDE, which TypeORM cannot express either).
@Index('logs_tenant_service_ts_idx', { synchronize: false })
// Time ranges without a tenant (retention, people's own queries): a BRIN, also beyond TypeORM.
@Index('logs_ts_brin_idx', { synchronize: false })
@Check('logs_lane_check', '"lane" >= 0 AND "lane" < 3')
export class LogRecordEntity {
  /** A row number from the table's identity sequence: the keyset cursor's tie-break between rows of one `ts`. */
  @Column({ type: 'bigint', generatedIdentity: 'ALWAYS' })
  // Generated()'s type names only 'increment', 'uuid' and 'rowid', but TypeORM records and compares
  // 'identity' for any column on PostgreSQL (PrimaryGeneratedColumn('identity') records the same); the
  // schema test checks this against what the migrations create.
  @Generated('identity' as 'increment')
  id!: string;

  /** Whose entry this is: the tenant of the API key that submitted it ('default' without keys). */
  @Column({ type: 'varchar', length: 64, default: 'default' })
  tenant!: string;

  /** When the event happened, as the client said (or the time of receipt when it said nothing); the partition key. */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'logs_pkey' })
  ts!: Date;

  /** When an ingest instance accepted the entry. */
  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;

  @Column({ type: 'varchar', length: 5 })
  level!: string;

  @Column({ type: 'varchar', length: 128 })
  service!: string;

  @Column({ type: 'text' })
  message!: string;

  @Column({ type: 'jsonb', nullable: true })
  attributes!: Record<string, unknown> | null;

  @Column({ name: 'trace_id', type: 'varchar', length: 32, nullable: true })
  traceId!: string | null;

  @Column({ name: 'span_id', type: 'varchar', length: 16, nullable: true })
  spanId!: string | null;

  /** The client's own event id: unique per tenant through `log_event_ids`, so a retried submission is stored once. */
  @Column({ name: 'event_id', type: 'varchar', length: 128, nullable: true })
  eventId!: string | null;

  /** The entry's stream position (a stream id, or `<stream id>#<i>` for entry i of a chunk): the primary key with `ts` (a redelivered entry has the same ts), so a batch redelivered after a crash is stored once. */
  @PrimaryColumn({ name: 'stream_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'logs_pkey' })
  streamId!: string;

  /** Which of the worker's concurrent writers stored the row (write-lanes.ts): no meaning for readers. */
  @Column({ type: 'smallint', default: 0 })
  lane!: number;
}
