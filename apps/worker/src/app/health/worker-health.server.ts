import { LogStoreHealth } from '@logpipe/log-store';
import { StreamConsumer, StreamProducer } from '@logpipe/stream-client';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createServer, type Server } from 'node:http';
import { LogBatchProcessor } from '../ingestion/log-batch.processor';
import { LogStreamConsumer } from '../ingestion/log-stream.consumer';
import { WorkerMetrics } from '../metrics/worker.metrics';
import type { WorkerConfig } from '../worker.config';

/**
 * The worker has no HTTP API, so it serves its health (and its Prometheus metrics at /metrics) on a
 * small port of its own (HEALTH_HOST:HEALTH_PORT) for the stack, Docker and Kubernetes probes and the
 * operator's scraper. Plain node:http keeps
 * the worker a standalone Nest application.
 */
@Injectable()
export class WorkerHealthServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHealthServer.name);
  private server?: Server;

  constructor(
    private readonly config: ConfigService<WorkerConfig, true>,
    private readonly redis: StreamProducer,
    private readonly database: LogStoreHealth,
    private readonly consumer: LogStreamConsumer,
    private readonly processor: LogBatchProcessor,
    private readonly metrics: WorkerMetrics,
    private readonly group: StreamConsumer,
  ) {}

  async readiness() {
    const [redis, postgres, backlog] = await Promise.all([
      this.redis.ping(),
      this.database.isReachable(),
      this.backlog(),
    ]);
    const consumer = this.consumer.state;
    const ready = redis && postgres && this.processor.isDatabaseAvailable && consumer === 'running';
    return {
      ready,
      body: {
        status: ready ? 'ok' : 'unavailable',
        checks: {
          redis: redis ? 'up' : 'down',
          postgres: postgres && this.processor.isDatabaseAvailable ? 'up' : 'down',
          consumer,
        },
        backlog,
      },
    };
  }

  /** Stream length, pending entries and lag of the group: reported, not judged (null when Redis cannot tell). */
  private async backlog() {
    const [length, group] = await Promise.all([
      this.redis.streamLength().catch(() => null),
      this.group.groupInfo().catch(() => null),
    ]);
    return { entries: length, pending: group?.pending ?? null, lag: group?.lag ?? null };
  }

  async onApplicationBootstrap(): Promise<void> {
    const host = this.config.get('HEALTH_HOST', { infer: true });
    const port = this.config.get('HEALTH_PORT', { infer: true });
    this.server = createServer((request, response) => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.method !== 'GET') return reply(405, { statusCode: 405, message: 'only GET' });
      if (request.url === '/health/live') return reply(200, { status: 'ok' });
      if (request.url === '/metrics') {
        this.metrics.registry.metrics().then(
          (text) => {
            response.writeHead(200, { 'content-type': this.metrics.registry.contentType });
            response.end(text);
          },
          (error: Error) => reply(500, { statusCode: 500, message: error.message }),
        );
        return;
      }
      if (request.url === '/health/ready') {
        this.readiness().then(
          ({ ready, body }) => reply(ready ? 200 : 503, body),
          (error: Error) => reply(503, { status: 'unavailable', error: error.message }),
        );
        return;
      }
      reply(404, { statusCode: 404, message: `no route ${request.url}` });
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, host, () => resolve());
    });
    this.logger.log({ message: 'health endpoint listening', url: `http://${host}:${port}/health/ready` });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
