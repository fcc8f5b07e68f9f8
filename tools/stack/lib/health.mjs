// Health probes (HTTP, Redis PING, TCP) and bounded waiting for them.
import { request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** GET `url`; healthy on a 2xx answer. Never throws: the result says what went wrong. */
export function probeHttp(url, timeoutMs = 2000) {
  return new Promise((resolveProbe) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.once('end', () => {
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        resolveProbe({ ok, detail: `HTTP ${res.statusCode} from ${url}` });
      });
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', (error) => resolveProbe({ ok: false, detail: `${url}: ${error.message}` }));
    req.end();
  });
}

/**
 * Opens a TCP connection; with `send`, writes it and hands the first bytes of the answer to `check`.
 * Used for Redis (PING) without a client library, and for plain reachability.
 */
function probeTcp({ host, port, send, check, timeoutMs = 2000 }) {
  return new Promise((resolveProbe) => {
    const socket = connect({ host, port });
    const finish = (result) => {
      socket.destroy();
      resolveProbe(result);
    };
    socket.setTimeout(timeoutMs, () =>
      finish({ ok: false, detail: `${host}:${port}: no answer within ${timeoutMs} ms` }),
    );
    socket.once('error', (error) => finish({ ok: false, detail: `${host}:${port}: ${error.message}` }));
    socket.once('connect', () => {
      if (send === undefined) return finish({ ok: true, detail: `${host}:${port} accepts connections` });
      socket.write(send);
    });
    socket.once('data', (chunk) => finish(check(chunk.toString('utf8'))));
  });
}

export function probeTcpPort(host, port) {
  return probeTcp({ host, port });
}

/** PONG is healthy; NOAUTH also proves a live Redis (an external one with a password). */
export function probeRedis(host, port) {
  return probeTcp({
    host,
    port,
    send: 'PING\r\n',
    check: (answer) => ({
      ok: answer.startsWith('+PONG') || answer.startsWith('-NOAUTH'),
      detail: `redis ${host}:${port} answered ${JSON.stringify(answer.trim())}`,
    }),
  });
}

/**
 * Polls `probe` every `intervalMs` until it is healthy, `isAlive` says the process is gone, the
 * deadline passes or `signal` aborts. Resolves with { ok, exited, detail }.
 */
export async function waitUntilHealthy({ probe, isAlive, deadline, signal, intervalMs = 250 }) {
  let last = { ok: false, detail: 'not probed yet' };
  for (;;) {
    if (signal?.aborted) return { ok: false, exited: false, detail: 'interrupted' };
    if (isAlive !== undefined && !isAlive()) return { ok: false, exited: true, detail: last.detail };
    last = await probe();
    if (last.ok) return { ok: true, exited: false, detail: last.detail };
    if (Date.now() >= deadline) return { ok: false, exited: false, detail: last.detail };
    await sleep(intervalMs);
  }
}
