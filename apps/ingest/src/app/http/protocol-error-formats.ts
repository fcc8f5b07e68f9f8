import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { IngestProtocol } from './protocol-route';

/** A failure as the error filter has classified it. */
export interface ProtocolError {
  status: number;
  message: string;
  details?: Record<string, unknown>;
  retryAfter?: number;
}

/** The body of an error answer in a protocol's own shape; the filter sets status and Retry-After. */
export type ProtocolErrorFormatter = (
  error: ProtocolError,
  request: FastifyRequest,
) => { contentType: string; body: string | Buffer };

/**
 * Error encoders by protocol. Clients of OTLP, Loki or Elasticsearch parse errors their own way
 * (a google.rpc.Status, plain text, Elasticsearch's error object), so each protocol module registers
 * one; routes without a protocol keep Logpipe's JSON error.
 */
@Injectable()
export class ProtocolErrorFormats {
  private readonly formats = new Map<IngestProtocol, ProtocolErrorFormatter>();

  register(protocol: IngestProtocol, formatter: ProtocolErrorFormatter): void {
    this.formats.set(protocol, formatter);
  }

  formatterFor(protocol: IngestProtocol | undefined): ProtocolErrorFormatter | undefined {
    return protocol === undefined ? undefined : this.formats.get(protocol);
  }
}
