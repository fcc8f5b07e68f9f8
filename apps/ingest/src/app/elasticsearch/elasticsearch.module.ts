import { Module } from '@nestjs/common';

/** Placeholder: filled in by the elasticsearch work. */
@Module({})
export class ElasticsearchModule {}
