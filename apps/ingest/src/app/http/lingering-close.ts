import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';

/**
 * How long a refused request's body may go on arriving after the answer (nginx's `lingering_timeout`
 * is the same 5 s): long enough for a client on a slow link to finish writing and read the answer,
 * short enough that a client which never stops costs a connection for seconds, not minutes.
 */
export const REFUSED_BODY_LINGER_MS = 5000;

/**
 * Lets a client whose body ingest refused before reading all of it read the refusal.
 *
 * Ingest answers such a request (a Content-Length over MAX_BODY_BYTES, a body that passes it after
 * decompression, an unsupported content type or encoding, corrupt gzip) at once; Fastify, for a
 * body-parser error, with `Connection: close`, upon which Node closes the socket as soon as the answer is
 * written. A socket closed with unread bytes makes the kernel send a reset, and a client still writing its
 * body then sees EPIPE or ECONNRESET and often never reads the 4xx that says what was wrong. nginx reads
 * on for a while before closing (lingering close), so this only bites a client that talks to an ingest
 * instance directly; this does the same here. (A client that sent `Connection: close` itself, or HTTP/1.0,
 * still has its socket closed after the answer: Node decides that, not ingest.)
 *
 * The rest of the body is read and thrown away. Node's HTTP parser knows where it ends (Content-Length or
 * chunked framing), so the connection is then as good as after any other request and stays open; a body
 * still arriving `lingerMs` after the answer has its connection closed, and so does every lingering one
 * when the server starts closing (it would otherwise wait for the client's next request or the
 * keep-alive timeout). One instance serves Fastify's routes (lingerOnRefusedBodies) and the direct log
 * routes (logs/direct-log-routes.ts).
 */
export class RefusedBodies {
  private closing = false;
  private readonly lingering = new Set<IncomingMessage>();

  constructor(private readonly lingerMs = REFUSED_BODY_LINGER_MS) {}

  /**
   * Reads on and drops what is left of `raw`'s body, for at most lingerMs; false when there is nothing
   * left to read, or the server is closing (then the connection is not to be kept).
   */
  lingerOn(raw: IncomingMessage): boolean {
    if (raw.complete || raw.destroyed || this.closing) return false;
    // Whatever was reading the body stops: a gzip body's decoder (log-schema's GunzippedPayload), which
    // gathers it or is piped from it and which nobody reads any more (piped, it would hold the request
    // back; gathering, it would start piping), and the parser's own listeners. Resumed, the request's
    // bytes are dropped as they come.
    raw.unpipe();
    raw.removeAllListeners('data');
    raw.resume();
    this.lingering.add(raw);
    // IncomingMessage#destroy destroys its socket (and is all an injected test request has).
    const timer = setTimeout(() => raw.destroy(), this.lingerMs);
    timer.unref();
    const stop = () => {
      clearTimeout(timer);
      this.lingering.delete(raw);
    };
    raw.once('end', stop);
    raw.once('close', stop);
    return true;
  }

  /** The server is closing: every lingering body's connection is closed, and no body lingers from now on. */
  close(): void {
    this.closing = true;
    for (const raw of this.lingering) raw.destroy();
  }
}

/** Fastify's side of RefusedBodies: the bodies of requests whose errors Fastify answers. */
export function lingerOnRefusedBodies(fastify: FastifyInstance, bodies: RefusedBodies): void {
  fastify.addHook('preClose', (done) => {
    bodies.close();
    done();
  });
  // onError, not onSend: it runs only for errors handed to Fastify (the body parsers' and the preParsing
  // hook's among them), so the requests that are answered normally pay nothing for it.
  fastify.addHook('onError', (request, reply, _error, done) => {
    // Fastify's Connection: close goes when the body lingers; otherwise it stands (nothing left to read,
    // or the server is closing and the connection is not to be kept).
    if (bodies.lingerOn(request.raw) && reply.getHeader('connection') === 'close') {
      reply.removeHeader('connection');
    }
    done();
  });
}
