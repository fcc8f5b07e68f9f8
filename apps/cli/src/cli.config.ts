import { CLUSTER_NODES_PATTERN } from '@logpipe/stream-client';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

/** The environment the CLI reads: the same variable names and defaults as the worker's. */
export class CliConfig {
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
  @IsString() STREAM_KEY: string = 'logs:stream';
  @IsString() STREAM_GROUP: string = 'log-workers';
  @IsString() DEAD_LETTER_STREAM: string = 'logs:dead';
  /** A command Redis has not answered within this time fails (exit 1) instead of hanging. */
  @IsInt() @Min(100) @Max(60000) REDIS_COMMAND_TIMEOUT_MS: number = 5000;
}
