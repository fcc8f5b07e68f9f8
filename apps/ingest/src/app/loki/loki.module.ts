import { Module } from '@nestjs/common';

/** Placeholder: filled in by the loki work. */
@Module({})
export class LokiModule {}
