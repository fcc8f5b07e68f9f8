import { Module } from '@nestjs/common';

/** Placeholder: filled in by the admin work. */
@Module({})
export class AdminModule {}
