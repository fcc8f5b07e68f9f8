import { Module } from '@nestjs/common';
import { AdminKeyGuard } from './admin-key.guard';
import { DeadLettersController } from './dead-letters.controller';

/**
 * Operator routes under /api/admin, behind ADMIN_API_KEYS (AdminKeyGuard). nginx does not proxy them,
 * like /metrics: they are reached on an ingest port from the operator's network.
 */
@Module({
  controllers: [DeadLettersController],
  providers: [AdminKeyGuard],
})
export class AdminModule {}
