import { Module } from '@nestjs/common';

/** Placeholder: filled in by the syslog work. */
@Module({})
export class SyslogModule {}
