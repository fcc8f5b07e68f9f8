import { TEST_DATABASE_URL, TEST_REDIS_URL } from './workspace';

/** Where a suite's worker reads and writes: its own streams, and its own schema (or the database's default). */
export interface SuiteStorage {
  streamKey: string;
  deadKey: string;
  schema?: string;
  /** Default: TEST_REDIS_URL (a suite with a private Redis passes its own). */
  redisUrl?: string;
  /** Default: TEST_DATABASE_URL (a suite with a private PostgreSQL passes its own). */
  databaseUrl?: string;
}

/**
 * The environment of a worker for one suite: it migrates its schema itself and reads the suite's
 * streams, waiting at most 50 ms for a batch so tests see rows soon. `extra` adds or overrides.
 */
export function suiteWorkerEnv(
  storage: SuiteStorage,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    REDIS_URL: storage.redisUrl ?? TEST_REDIS_URL,
    DATABASE_URL: storage.databaseUrl ?? TEST_DATABASE_URL,
    ...(storage.schema === undefined ? {} : { DB_SCHEMA: storage.schema }),
    DB_MIGRATE: 'true',
    STREAM_KEY: storage.streamKey,
    DEAD_LETTER_STREAM: storage.deadKey,
    BATCH_MAX_WAIT_MS: '50',
    // Suites send fixed dates (2026-01-01, 2026-11-26) that retention would drop as they age.
    RETENTION: '0',
    ...extra,
  };
}
