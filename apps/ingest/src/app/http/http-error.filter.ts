import { StreamUnavailableError } from '@logpipe/stream-client';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { ProtocolError, ProtocolErrorFormats } from './protocol-error-formats';
import { protocolRouteOf } from './protocol-route';
import { RequestError } from './request-errors';

/** Tells the client to come back later: thrown for outages and backpressure, answered as 503. */
export class ServiceUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

type ErrorAnswer = ProtocolError;

/** Logpipe's own JSON error body: `{statusCode, error, message, ...details}`. */
function plainErrorBody(answer: ErrorAnswer): Record<string, unknown> {
  return {
    statusCode: answer.status,
    error: STATUS_CODES[answer.status] ?? 'Error',
    message: answer.message,
    ...answer.details,
  };
}

/**
 * One JSON error shape for every failure, whether it came from a controller, from Fastify's body
 * parsing (size, content type) or from zlib: `{statusCode, error, message, ...details}`. On another
 * protocol's route (OTLP, Loki, Elasticsearch) the same answer is encoded the way that protocol's
 * clients read errors. 5xx answers never carry internal details; they are logged instead.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  constructor(
    private readonly defaultRetryAfterSeconds: number,
    private readonly maxBodyBytes: number,
    private readonly protocolFormats?: ProtocolErrorFormats,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.send(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  /** Answers `exception`; the plain Fastify log routes (logs/plain-log-routes.ts) call this directly. */
  send(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const answer = this.answerLogged(exception);
    if (answer.retryAfter !== undefined) reply.header('Retry-After', String(answer.retryAfter));
    const format = this.protocolFormats?.formatterFor(protocolRouteOf(request).logpipeProtocol);
    if (format !== undefined) {
      const { contentType, body } = format(answer, request);
      reply.status(answer.status).header('content-type', contentType).send(body);
      return;
    }
    reply.status(answer.status).send(plainErrorBody(answer));
  }

  /**
   * The answer to `exception` in Logpipe's own JSON shape, as send gives it on a route of no other
   * protocol: for the direct log routes (logs/direct-log-routes.ts), which write it themselves.
   */
  plainAnswer(exception: unknown): { status: number; retryAfter?: number; body: Record<string, unknown> } {
    const answer = this.answerLogged(exception);
    return { status: answer.status, retryAfter: answer.retryAfter, body: plainErrorBody(answer) };
  }

  /** The answer to `exception`; a 5xx is logged, since its answer never carries the details. */
  private answerLogged(exception: unknown): ErrorAnswer {
    const answer = this.answer(exception);
    if (answer.status >= 500) {
      const level = answer.status === 503 ? 'warn' : 'error';
      this.logger[level]({
        message: 'request failed',
        status: answer.status,
        error: (exception as Error)?.message ?? String(exception),
      });
    }
    return answer;
  }

  private answer(exception: unknown): ErrorAnswer {
    if (exception instanceof RequestError) {
      return {
        status: exception.statusCode,
        message: exception.message,
        details: exception.details,
        retryAfter: exception.retryAfterSeconds,
      };
    }
    if (exception instanceof ServiceUnavailableError) {
      return { status: 503, message: exception.message, retryAfter: exception.retryAfterSeconds };
    }
    if (exception instanceof StreamUnavailableError) {
      return {
        status: 503,
        message: 'the log queue (Redis) is unavailable; retry later',
        retryAfter: this.defaultRetryAfterSeconds,
      };
    }
    if (exception instanceof HttpException) {
      const response = exception.getResponse();
      const body =
        typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
      const { statusCode: _s, error: _e, message, ...details } = body;
      const text = Array.isArray(message)
        ? message.join('; ')
        : typeof message === 'string'
          ? message
          : exception.message;
      return {
        status: exception.getStatus(),
        message: this.explainFastify(exception.getStatus(), text),
        details,
      };
    }
    const code = (exception as { code?: unknown })?.code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      return { status: 400, message: `gzip body is corrupt: ${(exception as Error).message}` };
    }
    const status = (exception as { statusCode?: unknown })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { status, message: this.explainFastify(status, (exception as Error).message) };
    }
    return { status: 500, message: 'internal error' };
  }

  /** Fastify's own wording is terse; say what the limit or the accepted types are. */
  private explainFastify(status: number, message: string): string {
    if (status === 413)
      return `request body is larger than ${this.maxBodyBytes} bytes (MAX_BODY_BYTES, counted after decompression)`;
    if (status === 415) return `${message}; send application/json, or application/x-ndjson to /api/logs`;
    return message;
  }
}
