import { StreamProducer } from '@logpipe/stream-client';
import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator';
import { BacklogMonitor } from '../backpressure/backlog.monitor';
import { ReadReplicaMonitor } from '../query/read-replica.monitor';

@Public()
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly producer: StreamProducer,
    private readonly backlog: BacklogMonitor,
    private readonly readDatabase: ReadReplicaMonitor,
  ) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /**
   * Redis takes writes: 200; otherwise 503. PostgreSQL (the read API) and the backlog are reported,
   * not judged: writes do not need PostgreSQL, so an instance whose reads are down keeps taking them.
   * `readDatabase` says whether reads go to a primary or a replica, and the replica's lag.
   */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [redis, { postgres, readDatabase }] = await Promise.all([
      this.producer.ping(),
      this.readDatabase.report(),
    ]);
    reply.status(redis ? 200 : 503);
    return {
      status: redis ? 'ok' : 'unavailable',
      checks: { redis: redis ? 'up' : 'down', postgres },
      backlog: this.backlog.state,
      ...(readDatabase ? { readDatabase } : {}),
    };
  }
}
