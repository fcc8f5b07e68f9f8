import type { FastifyInstance } from 'fastify';

/**
 * How long a refused request's body may go on arriving after the answer (nginx's `lingering_timeout`
 * is the same 5 s): long enough for a client on a slow link to finish writing and read the answer,
 * short enough that a client which never stops costs a connection for seconds, not minutes.
 */
export const REFUSED_BODY_LINGER_MS = 5000;

/**
 * Lets a client whose body ingest refused before reading all of it read the refusal.
 *
 * Fastify answers such a request (a Content-Length over MAX_BODY_BYTES, a body that passes it after
 * decompression, an unsupported content type, corrupt gzip) with `Connection: close`, and Node closes the
 * socket as soon as the answer is written. A socket closed with unread bytes makes the kernel send a
 * reset, and a client still writing its body then sees EPIPE or ECONNRESET and often never reads the 4xx
 * that says what was wrong. nginx reads on for a while before closing (lingering close), so this only
 * bites a client that talks to an ingest instance directly; this does the same here.
 *
 * The rest of the body is read and thrown away. Node's HTTP parser knows where it ends (Content-Length or
 * chunked framing), so the connection is then as good as after any other request and stays open; a body
 * still arriving `lingerMs` after the answer has its connection closed.
 */
export function lingerOnRefusedBodies(fastify: FastifyInstance, lingerMs = REFUSED_BODY_LINGER_MS): void {
  // onError, not onSend: it runs only for errors handed to Fastify (the body parsers' among them), so
  // the requests that are answered normally pay nothing for it.
  fastify.addHook('onError', (request, reply, _error, done) => {
    const raw = request.raw;
    if (!raw.complete && reply.getHeader('connection') === 'close') {
      reply.removeHeader('connection');
      // A gzip body is piped into its decoder, which nobody reads any more: it would hold the request
      // back. Unpiped and resumed, the request's bytes are dropped as they come.
      raw.unpipe();
      raw.resume();
      // IncomingMessage#destroy destroys its socket (and is all an injected test request has).
      const timer = setTimeout(() => raw.destroy(), lingerMs);
      timer.unref();
      const stop = () => clearTimeout(timer);
      raw.once('end', stop);
      raw.once('close', stop);
    }
    done();
  });
}
