import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

/** The environment the CLI reads: the same variable names and defaults as the worker's. */
export class CliConfig {
  @IsString()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must start with redis:// or rediss://' })
  REDIS_URL: string = 'redis://127.0.0.1:6379';
  @IsString() STREAM_KEY: string = 'logs:stream';
  @IsString() STREAM_GROUP: string = 'log-workers';
  @IsString() DEAD_LETTER_STREAM: string = 'logs:dead';
  /** A command Redis has not answered within this time fails (exit 1) instead of hanging. */
  @IsInt() @Min(100) @Max(60000) REDIS_COMMAND_TIMEOUT_MS: number = 5000;
}
