import { DEFAULT_CHUNK_MAX_BYTES, DEFAULT_CHUNK_MAX_ENTRIES } from '@logpipe/log-schema';
import { CLUSTER_NODES_PATTERN, DEFAULT_COMPRESS_MIN_BYTES } from '@logpipe/stream-client';
import { EnvBoolean, EnvDuration, SERVICE_LOG_LEVELS, type ServiceLogLevel } from '@logpipe/app-runtime';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsTimeZone, Matches, Max, Min } from 'class-validator';
import { hostname } from 'node:os';

/** Every environment variable the ingest service reads, with its default and its rule (README lists them). */
export class IngestConfig {
  @IsString() HOST: string = '127.0.0.1';
  @IsInt() @Min(0) @Max(65535) PORT: number = 3000;

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
  /**
   * Replicas that must confirm an append (Redis WAIT, within half of REDIS_COMMAND_TIMEOUT_MS) before
   * the 202; fewer is a 503. 0 (default): asynchronous replication. See README "Redis Cluster".
   */
  @IsInt() @Min(0) @Max(5) REDIS_WAIT_REPLICAS: number = 0;
  /**
   * Stream values (chunks) of at least this many bytes are stored snappy-compressed: Redis's CPU and
   * memory per entry shrink ~3.5× for 0.3-0.9 µs of ingest CPU per entry (stream-client's
   * stream-value-compression.ts). 0: never. Workers of this version read both forms; upgrade them first.
   */
  @IsInt() @Min(0) STREAM_COMPRESS_MIN_BYTES: number = DEFAULT_COMPRESS_MIN_BYTES;
  @IsString() STREAM_KEY: string = 'logs:stream';
  @IsString() STREAM_GROUP: string = 'log-workers';
  /** The worker's dead-letter stream, which the admin routes read (the worker's DEAD_LETTER_STREAM). */
  @IsString() DEAD_LETTER_STREAM: string = 'logs:dead';

  /** A write Redis has not answered within this time fails with 503 instead of holding the client. */
  @IsInt() @Min(50) @Max(30000) REDIS_COMMAND_TIMEOUT_MS: number = 1000;

  /** Echoed in the X-Logpipe-Instance response header, so a client or test sees who served it. */
  @IsOptional() @IsString() INSTANCE_ID: string = `${hostname()}-${process.pid}`;

  /** Largest request body after decompression (nginx's client_max_body_size should match it). */
  @IsInt() @Min(1024) @Max(100 * 1024 * 1024) MAX_BODY_BYTES: number = 5 * 1024 * 1024;
  /** Most entries in one POST /api/logs. */
  @IsInt() @Min(1) @Max(100000) MAX_BATCH_ENTRIES: number = 10000;
  /**
   * Request bodies (decoded bytes) being parsed, validated and queued at once; past it a request gets 503 +
   * Retry-After before it is parsed. A parsed batch takes several times its size in memory, so this is
   * what keeps the heap bounded under a burst of large batches. A body alone is always accepted.
   */
  @IsInt() @Min(1024) MAX_IN_FLIGHT_BODY_BYTES: number = 8 * 1024 * 1024;

  /**
   * A request's entries go to Redis as chunks, one stream entry each (issue 14): at most this many
   * entries per chunk, and at most CHUNK_MAX_BYTES bytes of stream value (an entry bigger than that
   * alone is a chunk of one). Bigger chunks cost Redis and the worker less per entry; a chunk is what
   * the worker reads, redelivers and claims as one, so they stay small beside a worker read
   * (READ_MAX_BYTES). A JSON array body within both bounds is queued as sent, without encoding each
   * entry again; a bigger one is encoded entry by entry (log-schema's stream-chunks.ts).
   */
  @IsInt() @Min(1) @Max(10000) CHUNK_MAX_ENTRIES: number = DEFAULT_CHUNK_MAX_ENTRIES;
  @IsInt() @Min(1024) @Max(16 * 1024 * 1024) CHUNK_MAX_BYTES: number = DEFAULT_CHUNK_MAX_BYTES;

  /**
   * Backlog (log entries written and not yet acknowledged by the workers, counted per shard in Redis)
   * above which ingest answers 503, and below which it accepts again.
   */
  @IsInt() @Min(1) BACKLOG_HIGH_WATER: number = 500000;
  @IsInt() @Min(0) BACKLOG_LOW_WATER: number = 400000;
  @IsInt() @Min(10) BACKLOG_CHECK_INTERVAL_MS: number = 250;

  /**
   * Time limits on entries (docs/store.md), as durations ("30d", "1h"; 0 = no limit). An entry whose
   * timestamp is older than ENTRY_MAX_AGE or further ahead than ENTRY_MAX_FUTURE (both relative to its
   * receipt) gets a 400 that names the limit. Keep ENTRY_MAX_AGE at or below the worker's RETENTION:
   * an older entry would be stored only to be dropped at the next maintenance run.
   */
  @EnvDuration() @IsInt() @Min(0) ENTRY_MAX_AGE: number = 30 * 86_400_000;
  @EnvDuration() @IsInt() @Min(0) ENTRY_MAX_FUTURE: number = 3_600_000;

  /** Seconds a client is told to wait (Retry-After) after a 503. */
  @IsInt() @Min(1) @Max(3600) RETRY_AFTER_SECONDS: number = 1;

  /** Budget for in-flight requests at SIGTERM; keep it below the container stop grace period. */
  @IsInt() @Min(100) SHUTDOWN_TIMEOUT_MS: number = 10000;

  @IsIn(SERVICE_LOG_LEVELS) LOG_LEVEL: ServiceLogLevel = 'info';

  // --- API keys and tenants (auth/). The keys are never echoed: these two rules cannot fail on a
  // string, and the key parser's errors name a position, not a value.
  /** Comma-separated `tenant:key` pairs. Unset (and no API_KEYS_FILE): the API is open, tenant "default". */
  @IsOptional() @IsString() API_KEYS?: string;
  /** A file of `tenant:key` lines (# comments), read at start; combined with API_KEYS. */
  @IsOptional() @IsString() API_KEYS_FILE?: string;
  /**
   * How often API_KEYS_FILE is checked for changes besides the file-system watch (which some file systems,
   * e.g. network mounts and some container volumes, do not deliver). A change is also picked up on SIGHUP.
   */
  @IsInt() @Min(100) @Max(60000) API_KEYS_POLL_MS: number = 500;
  /**
   * Comma-separated keys (16+ characters) for the admin routes (/api/admin: dead letters). Unset: the
   * admin routes answer 403. Separate from the tenants' keys; never logged.
   */
  @IsOptional() @IsString() ADMIN_API_KEYS?: string;
  /**
   * Entries per second one tenant may submit across all ingest instances (a token bucket in Redis;
   * 0 = no quota).
   */
  @IsInt() @Min(0) TENANT_QUOTA_PER_SECOND: number = 10000;
  /** Entries a tenant may submit at once above the rate; also the largest batch a tenant can ever send. */
  @IsInt() @Min(1) TENANT_QUOTA_BURST: number = 20000;
  /**
   * While Redis is away each instance holds a tenant to this fraction (1/N) of the rate and burst; set it
   * to the number of ingest instances (or more) and the fleet stays within the quota then too.
   */
  @IsInt() @Min(1) @Max(1000) TENANT_QUOTA_INSTANCES: number = 1;

  // --- Read side (query/, tail/).
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must start with postgres:// or postgresql://' })
  DATABASE_URL: string = 'postgres://postgres@127.0.0.1:5432/postgres';
  /**
   * The read pool's connection, when it differs from DATABASE_URL: the read-only role (docs/operations.md,
   * "Database roles"), which may only SELECT, and only the rows of the tenant each query sets. It may
   * name a read replica (a hot standby of the worker's database): every read of the query API, counts and
   * console go there, and readiness and metrics report its lag (docs/scale.md).
   */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, {
    message: 'READ_DATABASE_URL must start with postgres:// or postgresql://',
  })
  READ_DATABASE_URL?: string;
  /**
   * Replay lag (seconds) above which readiness reports the read replica as lagging. Reported only: reads
   * stay on the replica (ReadReplicaMonitor says why) and readiness stays 200.
   */
  @IsInt() @Min(1) @Max(86400) READ_REPLICA_MAX_LAG_SECONDS: number = 30;
  @IsString()
  @Matches(/^[a-z_][a-z0-9_]*$/, { message: 'DB_SCHEMA must be a plain lower-case SQL identifier' })
  DB_SCHEMA: string = 'public';
  /** Connections this instance's read pool may hold: at most this many queries at once. */
  @IsInt() @Min(1) @Max(100) QUERY_POOL_SIZE: number = 4;
  /** statement_timeout of a read; a query that runs longer is cancelled and answered 503. */
  @IsInt() @Min(100) @Max(300000) QUERY_TIMEOUT_MS: number = 5000;
  /** Entries waiting for one slow tail reader before it is dropped. */
  @IsInt() @Min(10) @Max(100000) TAIL_BUFFER_ENTRIES: number = 1000;
  /** Tail connections one instance serves at once, all tenants together; more are answered 503. */
  @IsInt() @Min(1) @Max(10000) TAIL_MAX_CLIENTS: number = 100;
  /**
   * Tail connections one tenant may hold on one instance; more are answered 429. Per instance (tail-slots.ts
   * says why): across N instances a tenant holds at most N times this many.
   */
  @IsInt() @Min(1) @Max(10000) TAIL_MAX_PER_TENANT: number = 25;
  /** A comment line sent this often keeps idle tail connections open through proxies. */
  @IsInt() @Min(1000) @Max(120000) TAIL_HEARTBEAT_MS: number = 15000;

  // --- Syslog listeners (syslog/, docs/protocols/syslog.md). Off unless enabled: the stack, compose and
  // deploy/ turn them on; a bare ingest (tests, a second instance on one host) binds no extra ports.
  @EnvBoolean() @IsBoolean() SYSLOG_ENABLED: boolean = false;
  /** Plain TCP (RFC 6587) and UDP ports on HOST; 0 turns that listener off. */
  @IsInt() @Min(0) @Max(65535) SYSLOG_TCP_PORT: number = 5514;
  @IsInt() @Min(0) @Max(65535) SYSLOG_UDP_PORT: number = 5514;
  /** TLS (RFC 5425) port, used only when SYSLOG_TLS_CERT and SYSLOG_TLS_KEY are set; 0 turns it off. */
  @IsInt() @Min(0) @Max(65535) SYSLOG_TLS_PORT: number = 6514;
  /** PEM files of the TLS listener's certificate (chain) and private key. */
  @IsOptional() @IsString() SYSLOG_TLS_CERT?: string;
  @IsOptional() @IsString() SYSLOG_TLS_KEY?: string;
  /** PEM CA bundle: when set, TLS clients must present a certificate signed by it. */
  @IsOptional() @IsString() SYSLOG_TLS_CA?: string;
  /** `commonName:tenant,...`: a TLS client whose certificate has that subject CN writes as that tenant. */
  @IsOptional()
  @Matches(/^\s*[^:,]+:[A-Za-z0-9._-]{1,64}\s*(,\s*[^:,]+:[A-Za-z0-9._-]{1,64}\s*)*$/, {
    message: 'SYSLOG_TLS_CLIENT_TENANTS must be commonName:tenant[,commonName:tenant...]',
  })
  SYSLOG_TLS_CLIENT_TENANTS?: string;
  /** `tenant:port,...`: extra TCP+UDP listeners whose every message belongs to that tenant. */
  @IsOptional()
  @Matches(/^\s*[A-Za-z0-9._-]{1,64}:\d{1,5}\s*(,\s*[A-Za-z0-9._-]{1,64}:\d{1,5}\s*)*$/, {
    message: 'SYSLOG_TENANT_PORTS must be tenant:port[,tenant:port...]',
  })
  SYSLOG_TENANT_PORTS?: string;
  /** SD-ID of the structured data element whose `key` parameter carries the API key. */
  @IsString()
  @Matches(/^[^= \]"]{1,32}$/, {
    message: 'SYSLOG_KEY_SD_ID must be an RFC 5424 SD-ID (1-32 characters, no = ] " or space)',
  })
  SYSLOG_KEY_SD_ID: string = 'logpipe@32473';
  /** IANA zone of BSD (RFC 3164) timestamps, which carry none. */
  @IsTimeZone({ message: 'SYSLOG_TIMEZONE must be an IANA time zone such as UTC or Europe/Berlin' })
  SYSLOG_TIMEZONE: string = 'UTC';
  /** Largest octet-counted frame or UDP datagram accepted, in bytes. */
  @IsInt() @Min(480) @Max(1024 * 1024) SYSLOG_MAX_MESSAGE_BYTES: number = 65536;
  /** Longest newline-terminated message accepted, in bytes. */
  @IsInt() @Min(480) @Max(1024 * 1024) SYSLOG_MAX_LINE_BYTES: number = 65536;
  /** TCP/TLS connections one client address may hold open (behind nginx: nginx's own address). */
  @IsInt() @Min(1) @Max(100000) SYSLOG_MAX_CONNECTIONS_PER_IP: number = 256;
  /** A connection that sends nothing for this long is closed (0: never). */
  @IsInt() @Min(0) SYSLOG_IDLE_TIMEOUT_MS: number = 600000;
  /** A connection that stops in the middle of a frame for this long is closed. */
  @IsInt() @Min(100) SYSLOG_FRAME_TIMEOUT_MS: number = 30000;
  /** Most messages one connection hands to the ingest path at once. */
  @IsInt() @Min(1) @Max(10000) SYSLOG_BATCH_ENTRIES: number = 500;
  /** UDP messages waiting for the ingest path; more are dropped (and counted). */
  @IsInt() @Min(1) @Max(1000000) SYSLOG_UDP_QUEUE_ENTRIES: number = 10000;
}
