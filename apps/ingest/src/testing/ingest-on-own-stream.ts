import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { startIngestApp } from './start-ingest-app';

/** The shared Redis the integration specs queue to. */
export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * An ingest app on a stream key of its own for one describe block, with `env` added to its settings,
 * closed and cleaned up (the stream and its entry counter) after it. `app()` is only valid inside the
 * block's hooks and tests. For the integration specs only.
 */
export function ingestOnOwnStream(name: string, env: Record<string, string>) {
  const streamKey = `test:ingest:${name}:${randomBytes(4).toString('hex')}`;
  const redis = new Redis(TEST_REDIS_URL);
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await startIngestApp({ REDIS_URL: TEST_REDIS_URL, STREAM_KEY: streamKey, ...env });
  });
  afterAll(async () => {
    await app.close();
    await redis.del(streamKey, `${streamKey}:entries`);
    redis.disconnect();
  });
  return { streamKey, redis, app: () => app };
}
