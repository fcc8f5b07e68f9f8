import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown> | null;
}

export interface RawPostOptions {
  timeoutMs?: number;
  /**
   * Send the headers first and the body only if no answer has come within this many ms. For a body the
   * server refuses from its Content-Length alone: Fastify answers 413 with `Connection: close` without
   * reading the body, and a client still writing it can see the connection reset (EPIPE) before it has
   * read the answer, so the answer is awaited before any of the body is sent.
   */
  answerBeforeBodyMs?: number;
}

/**
 * A POST with exactly the bytes and headers given (fetch would add or fix some), bounded by a
 * deadline. For malformed-input tests: nothing here normalises what is sent.
 */
export function rawPost(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | string,
  { timeoutMs = 10000, answerBeforeBodyMs = 0 }: RawPostOptions = {},
): Promise<RawAnswer> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent,
      },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | null = null;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = null;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
          // Answered before the body was sent: the request is incomplete, so its socket cannot be reused.
          if (!req.writableFinished) req.destroy();
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (answerBeforeBodyMs <= 0) {
      req.end(body);
      return;
    }
    req.flushHeaders();
    // Once answered, the timer has nothing to do; it does not keep the process alive meanwhile.
    setTimeout(() => {
      if (!answered) req.end(body);
    }, answerBeforeBodyMs).unref();
  });
}

export function closeRawAgent(): void {
  agent.destroy();
}
