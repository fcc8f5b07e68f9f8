import { Module } from '@nestjs/common';

/** Placeholder: filled in by the otlp work. */
@Module({})
export class OtlpModule {}
