import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The client event ids already stored, one row per (tenant, event id): the uniqueness `logs` cannot keep
 * itself once partitioned (a unique index there must contain `ts`, and a retry without a client
 * timestamp has another `ts`). Written in the same transaction as the rows; expired with retention.
 */
@Entity({ name: 'log_event_ids' })
@Index('log_event_ids_ts_idx', ['ts'])
export class LogEventIdEntity {
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'log_event_ids_pkey' })
  tenant!: string;

  @PrimaryColumn({
    name: 'event_id',
    type: 'varchar',
    length: 128,
    primaryKeyConstraintName: 'log_event_ids_pkey',
  })
  eventId!: string;

  /** The stream entry whose row holds this id. */
  @Column({ name: 'stream_id', type: 'varchar', length: 64 })
  streamId!: string;

  /** The row's event time: when it leaves with retention, so does this. */
  @Column({ type: 'timestamptz' })
  ts!: Date;
}
