import { encodeRpcStatus, otlpEncodingOf } from '@logpipe/protocol-otlp';
import { Module } from '@nestjs/common';
import { ProtocolErrorFormats } from '../http/protocol-error-formats';
import { OtlpLogsController } from './otlp-logs.controller';

/** OTLP/HTTP logs (POST /v1/logs). Errors go back as google.rpc.Status, encoded like the request. */
@Module({ controllers: [OtlpLogsController] })
export class OtlpModule {
  constructor(formats: ProtocolErrorFormats) {
    formats.register('otlp', (error, request) =>
      encodeRpcStatus(otlpEncodingOf(request.headers['content-type']), error.status, error.message),
    );
  }
}
