import { StreamProducer } from '@logpipe/stream-client';
import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { BacklogMonitor } from '../backpressure/backlog.monitor';

@Controller('health')
export class HealthController {
  constructor(
    private readonly producer: StreamProducer,
    private readonly backlog: BacklogMonitor,
  ) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Redis takes writes: 200; otherwise 503. The backlog state is reported, not judged. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const redis = await this.producer.ping();
    reply.status(redis ? 200 : 503);
    return { status: redis ? 'ok' : 'unavailable', checks: { redis: redis ? 'up' : 'down' }, backlog: this.backlog.state };
  }
}
