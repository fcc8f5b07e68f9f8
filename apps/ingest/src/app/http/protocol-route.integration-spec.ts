import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Type } from '@nestjs/common';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { queuedEntries } from '../../testing/queued-entries';
import { TEST_REDIS_URL } from '../../testing/ingest-on-own-stream';
import { startIngestApp } from '../../testing/start-ingest-app';

const KEY = `acme-${randomBytes(12).toString('hex')}`;

/**
 * A probe protocol route beside the real ones, built from the modules of the same isolated registry:
 * it decodes "one message per line" from raw bytes and ingests them with partial acceptance.
 */
function probeModule(): Type {
  const { Body, Controller, HttpCode, Module, Post } =
    require('@nestjs/common') as typeof import('@nestjs/common');
  const { AppModule } = require('../app.module') as typeof import('../app.module');
  const { ProtocolRoute } = require('./protocol-route') as typeof import('./protocol-route');
  const { ProtocolErrorFormats } =
    require('./protocol-error-formats') as typeof import('./protocol-error-formats');
  const { Tenant } = require('../auth/tenant.decorator') as typeof import('../auth/tenant.decorator');
  const { Outcome } = require('../metrics/ingest-outcome') as typeof import('../metrics/ingest-outcome');
  const { LogIngestService } =
    require('../logs/log-ingest.service') as typeof import('../logs/log-ingest.service');
  const { RequestError } = require('./request-errors') as typeof import('./request-errors');

  @Controller('probe')
  class ProbeController {
    constructor(
      private readonly ingest: InstanceType<typeof LogIngestService>,
      formats: InstanceType<typeof ProtocolErrorFormats>,
    ) {
      formats.register('otlp', (error) => ({
        contentType: 'text/plain',
        body: `probe error ${error.status}: ${error.message}`,
      }));
    }

    @Post('push')
    @HttpCode(200)
    @ProtocolRoute('otlp', { rawBody: true })
    async push(@Body() body: Buffer, @Tenant() tenant: string, @Outcome() outcome: unknown) {
      if (!Buffer.isBuffer(body)) throw new RequestError(500, 'the body is not a Buffer');
      const lines = body
        .toString('utf8')
        .split('\n')
        .filter((line) => line !== '');
      if (lines.includes('undecodable')) throw new RequestError(400, 'line "undecodable" does not decode');
      const inputs = lines.map((line) =>
        line === 'bad' ? { level: 'loud' } : { level: 'info', service: 'probe', message: line },
      );
      const result = await this.ingest.ingestEach(inputs, tenant, outcome as never);
      return { queued: result.queued, rejected: result.rejected.map((r) => r.index) };
    }
  }
  Reflect.defineMetadata('design:paramtypes', [LogIngestService, ProtocolErrorFormats], ProbeController);

  @Module({ imports: [AppModule], controllers: [ProbeController] })
  class ProbeAppModule {}
  return ProbeAppModule;
}

describe('protocol routes: raw bodies, partial acceptance, protocol-shaped errors, metrics by protocol', () => {
  const streamKey = `test:ingest:protocol:${randomBytes(4).toString('hex')}`;
  const redis = new Redis(TEST_REDIS_URL);
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await startIngestApp(
      { REDIS_URL: TEST_REDIS_URL, STREAM_KEY: streamKey, API_KEYS: `acme:${KEY}`, MAX_BODY_BYTES: '4096' },
      probeModule,
    );
  });
  afterAll(async () => {
    await app.close();
    await redis.del(streamKey);
    redis.disconnect();
  });

  const push = (payload: string | Buffer, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/probe/push',
      payload,
      headers: { authorization: `Bearer ${KEY}`, ...headers },
    });

  it('hands the handler the raw bytes whatever the content type, gunzipped, and queues the valid entries', async () => {
    const protobufLike = await push('one\nbad\ntwo\n', { 'content-type': 'application/x-protobuf' });
    expect(protobufLike.statusCode).toBe(200);
    expect(protobufLike.json()).toEqual({ queued: 2, rejected: [1] });
    const gzipped = await push(gzipSync('three\n'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(gzipped.json()).toEqual({ queued: 1, rejected: [] });
    const noType = await push('four');
    expect(noType.json()).toEqual({ queued: 1, rejected: [] });
    expect(await queuedEntries(redis, streamKey)).toHaveLength(4);
  });

  it("answers failures in the route's protocol format: 401, 400 from the decoder, 413 after decompression", async () => {
    const unauthorized = await push('x', { authorization: 'Bearer wrong-key-0123456789' });
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.headers['content-type']).toContain('text/plain');
    expect(unauthorized.body).toBe('probe error 401: the API key is not valid');
    const undecodable = await push('undecodable\n');
    expect(undecodable.statusCode).toBe(400);
    expect(undecodable.body).toContain('does not decode');
    const tooLarge = await push(gzipSync('a'.repeat(10000)), {
      'content-encoding': 'gzip',
      'content-type': 'application/x-protobuf',
    });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.body).toContain('probe error 413');
  });

  it('keeps refusing unknown content types with 415 on Logpipe routes, before reading the body', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/logs',
      payload: 'level=info',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-protobuf' },
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().message).toContain('application/x-protobuf');
  });

  it('counts records, not requests, under the protocol label', async () => {
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const value = (series: string) =>
      Number(
        metrics
          .split('\n')
          .find((line) => line.startsWith(`${series} `))
          ?.split(' ')[1] ?? NaN,
      );
    expect(value('logpipe_ingest_entries_received_total{protocol="otlp"}')).toBe(5 + 1 + 1 + 1);
    expect(value('logpipe_ingest_entries_queued_total{protocol="otlp"}')).toBe(4);
    // The refused record of the first request, and the body that did not decode.
    expect(value('logpipe_ingest_entries_rejected_total{protocol="otlp",reason="invalid"}')).toBe(2);
    expect(value('logpipe_ingest_entries_rejected_total{protocol="otlp",reason="unauthorized"}')).toBe(1);
    expect(value('logpipe_ingest_entries_rejected_total{protocol="otlp",reason="too_large"}')).toBe(1);
  });
});
