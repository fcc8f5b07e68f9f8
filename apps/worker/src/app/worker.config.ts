import { CLUSTER_NODES_PATTERN } from '@logpipe/stream-client';
import { EnvBoolean, EnvDuration, SERVICE_LOG_LEVELS, type ServiceLogLevel } from '@logpipe/app-runtime';
import { DEFAULT_PARTITION_INTERVAL, PARTITION_INTERVAL_PATTERN } from '@logpipe/log-store';
import { TENANT_RETENTION_PATTERN } from './maintenance/retention-policy';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

/** Every environment variable the worker reads, with its default and its rule (README lists them). */
export class WorkerConfig {
  @IsString()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must start with redis:// or rediss://' })
  REDIS_URL: string = 'redis://127.0.0.1:6379';

  /**
   * Seed nodes of a Redis Cluster, comma-separated host:port (e.g. 10.0.0.1:7000,10.0.0.2:7000). Empty
   * (default): the single Redis at REDIS_URL. Set: ioredis' Cluster client; REDIS_URL then only gives
   * the credentials and TLS (rediss://) every node is reached with.
   */
  @IsString()
  @Matches(CLUSTER_NODES_PATTERN, {
    message: 'REDIS_CLUSTER_NODES must be comma-separated host:port pairs (or empty for a single Redis)',
  })
  REDIS_CLUSTER_NODES: string = '';
  /** Streams the log stream is split over (hash-tagged keys, see README "Redis Cluster"); the same everywhere. */
  @IsInt() @Min(1) @Max(64) STREAM_SHARDS: number = 1;

  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must start with postgres:// or postgresql://' })
  DATABASE_URL: string = 'postgres://postgres@127.0.0.1:5432/postgres';

  @IsString()
  @Matches(/^[a-z_][a-z0-9_]*$/, { message: 'DB_SCHEMA must be a plain lower-case SQL identifier' })
  DB_SCHEMA: string = 'public';

  /**
   * The owner role's connection, for migrate.js (docs/operations.md, "Database roles"); unset: DATABASE_URL.
   * DATABASE_URL is then the worker's own role, which may only SELECT and INSERT.
   */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, {
    message: 'MIGRATION_DATABASE_URL must start with postgres:// or postgresql://',
  })
  MIGRATION_DATABASE_URL?: string;

  /** Roles migrate.js grants access to `logs` (writer: SELECT, INSERT; reader: SELECT under RLS); empty: none. */
  @IsString()
  @Matches(/^([a-z_][a-z0-9_]{0,62})?$/, {
    message: 'DB_WRITER_ROLE must be a plain lower-case SQL identifier or empty',
  })
  DB_WRITER_ROLE: string = 'logpipe_writer';
  @IsString()
  @Matches(/^([a-z_][a-z0-9_]{0,62})?$/, {
    message: 'DB_READER_ROLE must be a plain lower-case SQL identifier or empty',
  })
  DB_READER_ROLE: string = 'logpipe_reader';

  @EnvBoolean()
  @IsBoolean()
  DB_MIGRATE: boolean = false;

  @IsString() STREAM_KEY: string = 'logs:stream';
  @IsString() STREAM_GROUP: string = 'log-workers';
  @IsString() DEAD_LETTER_STREAM: string = 'logs:dead';
  /**
   * Bound of the dead-letter stream: at most this many entries (oldest dropped first) and none older than
   * DEAD_LETTER_MAX_AGE_HOURS; 0 switches a bound off. What a bound drops is counted in
   * logpipe_worker_dead_letters_dropped_total.
   */
  @IsInt() @Min(0) DEAD_LETTER_MAX_ENTRIES: number = 100000;
  @IsInt() @Min(0) @Max(87600) DEAD_LETTER_MAX_AGE_HOURS: number = 24 * 14;

  /** Consumer name in the group. Unset: hostname-pid-random, unique per process. */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'WORKER_NAME must be 1-128 of [A-Za-z0-9._:-]' })
  WORKER_NAME?: string;

  @IsInt() @Min(1) @Max(10000) BATCH_SIZE: number = 1000;
  /** Longest wait for a batch to fill (XREADGROUP BLOCK). */
  @IsInt() @Min(1) @Max(60000) BATCH_MAX_WAIT_MS: number = 200;

  /**
   * Batches stored at once, each on its own PostgreSQL connection, while the next one is read, so the
   * database is never idle between batches. 3 × 1000 measured best on 2 cores (BENCHMARKS.md).
   */
  @IsInt() @Min(1) @Max(8) MAX_BATCHES_IN_FLIGHT: number = 3;

  /**
   * After a read that found fewer than BATCH_SIZE entries (the worker has caught up), wait this long
   * before the next read so entries gather into one batch: each batch costs a transaction, a COPY and an
   * XACK whatever its size, and a worker that chases every few entries spends a core on it. It adds at
   * most this much to the time from 202 to the row being visible; 0 reads again at once.
   */
  @IsInt() @Min(0) @Max(5000) BATCH_LINGER_MS: number = 50;

  /**
   * Stream-value bytes (UTF-8) one read may hold: a read's COUNT is at most this over the largest value seen
   * lately, so with large entries a read holds fewer than BATCH_SIZE (read-count.ts). Decoded, a read takes
   * up to ~4× this in heap, and MAX_BATCHES_IN_FLIGHT + 1 reads are held at once: keep
   * (MAX_BATCHES_IN_FLIGHT + 1) × 4 × READ_MAX_BYTES under the heap cap (--max-old-space-size); the worker
   * warns at start when it is not. 4 MiB never binds for ~300-byte entries (a batch of 1,000 is ~0.3 MB).
   */
  @IsInt() @Min(65_536) @Max(1_073_741_824) READ_MAX_BYTES: number = 4 * 1_048_576;

  /** Entries pending this long on another consumer are taken over (XAUTOCLAIM): it is presumed dead. */
  @IsInt() @Min(1000) CLAIM_IDLE_MS: number = 30000;
  @IsInt() @Min(100) CLAIM_INTERVAL_MS: number = 5000;

  /** An entry delivered more often than this (crash loops) is dead-lettered instead of retried again. */
  @IsInt() @Min(1) @Max(1000) MAX_DELIVERIES: number = 10;
  /** Attempts to insert one entry that PostgreSQL refuses before it is dead-lettered. */
  @IsInt() @Min(1) @Max(100) POISON_MAX_ATTEMPTS: number = 3;

  /** Capped exponential backoff (with full jitter) while PostgreSQL or Redis is unavailable. */
  @IsInt() @Min(10) RETRY_BASE_MS: number = 200;
  @IsInt() @Min(100) RETRY_MAX_MS: number = 10000;

  /** How often acknowledged entries are trimmed from the stream (XTRIM MINID). */
  @IsInt() @Min(100) TRIM_INTERVAL_MS: number = 1000;

  // --- Partitions and retention (maintenance/, docs/store.md).
  /** Width of one partition of `logs`: whole hours, days or weeks ("1 day", "6 hours", "1 week"). */
  @IsString()
  @Matches(PARTITION_INTERVAL_PATTERN, {
    message: 'PARTITION_INTERVAL must be "<n> hour(s)", "<n> day(s)" or "<n> week(s)", e.g. "1 day"',
  })
  PARTITION_INTERVAL: string = DEFAULT_PARTITION_INTERVAL;
  /** Partitions the maintenance job keeps created ahead of now (beyond the current one). */
  @IsInt() @Min(1) @Max(100) PARTITIONS_AHEAD: number = 3;
  /** How long rows are kept (a duration: "30d"); older partitions are dropped whole. 0 keeps everything. */
  @EnvDuration() @IsInt() @Min(0) RETENTION: number = 30 * 86_400_000;
  /** Per-tenant overrides of RETENTION: "acme:7d,globex:90d" (0 keeps that tenant's rows forever). */
  @IsOptional()
  @IsString()
  @Matches(TENANT_RETENTION_PATTERN, {
    message: 'TENANT_RETENTION must be tenant:duration pairs, e.g. acme:7d,globex:90d',
  })
  TENANT_RETENTION?: string;
  /** Time between maintenance runs (a duration: "10m"); 0 switches the job off (the writer still creates partitions). */
  @EnvDuration() @IsInt() @Min(0) MAINTENANCE_INTERVAL: number = 600_000;
  /**
   * false (default): a partition is filled without insert-driven autovacuum and vacuumed once, when its
   * range has ended; true: autovacuum vacuums the partition being filled after every 20% of growth, as
   * PostgreSQL does any table, so counts over its rows come from the index alone, at the price of those
   * vacuums' bursts in the write path (docs/store.md, "Autovacuum of the partition being filled").
   */
  @EnvBoolean() @IsBoolean() VACUUM_PARTITION_BEING_FILLED: boolean = false;
  /**
   * How long a partition whose range has ended must go without taking rows fast (as many, between two
   * maintenance runs, as would make autovacuum vacuum it) before it is handed back to insert-driven
   * autovacuum: late logs, flushed buffers and replays still fill yesterday's partition for a while.
   */
  @EnvDuration() @IsInt() @Min(0) PARTITION_QUIET_PERIOD: number = 3_600_000;
  /** Rows one retention DELETE statement removes at most (per-tenant retention, expired event ids). */
  @IsInt() @Min(100) @Max(1_000_000) MAINTENANCE_DELETE_BATCH: number = 10000;

  @IsString() HEALTH_HOST: string = '127.0.0.1';
  @IsInt() @Min(0) @Max(65535) HEALTH_PORT: number = 9464;

  /** Budget for finishing the batch in flight at SIGTERM; keep it below the container stop grace period. */
  @IsInt() @Min(100) SHUTDOWN_TIMEOUT_MS: number = 10000;

  @IsIn(SERVICE_LOG_LEVELS) LOG_LEVEL: ServiceLogLevel = 'info';

  /** Test-only fault injection; see README "Failpoints". Never set in production. */
  @IsOptional()
  @IsIn(['crash-after-commit'])
  LOGPIPE_FAILPOINT?: 'crash-after-commit';
}
