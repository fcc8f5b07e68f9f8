import { Module } from '@nestjs/common';
import { ProtocolErrorFormats } from '../http/protocol-error-formats';
import { LokiPushController } from './loki-push.controller';

/** Loki push (libs/protocols/loki decodes and maps; LogIngestService queues). */
@Module({ controllers: [LokiPushController] })
export class LokiModule {
  constructor(formats: ProtocolErrorFormats) {
    // Loki answers errors as plain text (Go's http.Error): Promtail, Alloy and the client libraries
    // log that body as the reason.
    formats.register('loki', (error) => ({
      contentType: 'text/plain; charset=utf-8',
      body: `${error.message}\n`,
    }));
  }
}
