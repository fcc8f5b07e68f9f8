import http from 'node:http';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { waitFor } from '@logpipe/e2e-support';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import { compressSync, uncompressSync } from 'snappy';
import winston from 'winston';
import LokiTransport from 'winston-loki';
import { ShipperStack, type StoredRow } from './support/shipper-stack';

// winston-loki's own generated protobuf code (logproto.PushRequest), for the hand-made bad bodies.
const { logproto } = require('winston-loki/src/proto') as {
  logproto: { PushRequest: { encode(message: unknown): { finish(): Uint8Array } } };
};

/** Low enough to overload on purpose (the 503 test), far above what the other tests keep queued. */
const HIGH_WATER = 300;
const runId = () => randomBytes(6).toString('hex');
const nowNs = () => `${Date.now()}000000`;
const basic = (user: string, key: string) => `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`;

interface LokiRow extends StoredRow {
  attributes: { labels: Record<string, string>; structured_metadata?: Record<string, string> };
}

/**
 * Loki push (`POST /loki/api/v1/push`) through nginx with the real Loki clients: pino + pino-loki
 * (JSON) and winston + winston-loki (protobuf + snappy), their own credentials (Basic, the key as the
 * password), their own handling of 401 and 503, and malformed bodies refused whole.
 */
describe('Loki push with the real clients', () => {
  const stack = new ShipperStack();
  beforeAll(async () => {
    await stack.start({ BACKLOG_HIGH_WATER: String(HIGH_WATER), BACKLOG_LOW_WATER: '50' });
  });
  afterAll(async () => {
    await stack.stop('loki');
  });

  /** Rows of `tenant` whose stream label `run` is `run`. */
  const rowsOfRun = (tenant: string, run: string) =>
    stack.rows(tenant, `attributes->'labels'->>'run' = $2`, [run]) as Promise<LokiRow[]>;
  const waitForRun = (tenant: string, run: string, count: number, timeoutMs?: number) =>
    stack.waitForRows(tenant, count, `attributes->'labels'->>'run' = $2`, [run], timeoutMs) as Promise<
      LokiRow[]
    >;

  /** A pino logger on pino-loki (in this process, so its console.error can be watched), and its end. */
  function pinoOnLoki(password: string, labels: Record<string, string>) {
    const transport = pinoLoki({
      host: stack.url,
      basicAuth: { username: 'pino', password },
      labels,
      // One push when the transport ends, none before: the test controls when it is sent.
      batching: { interval: 3600 },
    });
    const logger = pino({ level: 'trace' }, transport);
    const end = () =>
      new Promise<void>((resolve) => {
        transport.once('close', () => resolve());
        transport.end();
      });
    return { logger, end };
  }

  function winstonOnLoki(
    password: string,
    labels: Record<string, string>,
    onError: (error: unknown) => void,
  ) {
    const transport = new LokiTransport({
      host: stack.url,
      basicAuth: `winston:${password}`,
      labels,
      json: false,
      interval: 0.5,
      // Keep the timestamps the records carry (winston-loki replaces them by default).
      replaceTimestamp: false,
      gracefulShutdown: false,
      onConnectionError: onError,
    });
    const logger = winston.createLogger({ level: 'silly', transports: [transport] });
    return { logger, transport };
  }

  it('pino-loki (JSON): N records are N rows with service, level, message, ts to the ms, labels and metadata', async () => {
    const run = runId();
    const { logger, end } = pinoOnLoki(stack.keys.acme, { service_name: 'checkout-pino', run });
    const pinoLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
    // pino-loki's own names for pino's levels (10 and 20 are both "debug" there), then Logpipe's.
    const lokiLevels = ['debug', 'debug', 'info', 'warning', 'error', 'critical'];
    const stored = ['debug', 'debug', 'info', 'warn', 'error', 'fatal'];
    const N = 30;
    for (let i = 0; i < N; i++) {
      const meta = i % 2 === 0 ? { request_id: `req-${i}` } : undefined;
      logger[pinoLevels[i % 6]]({ i, meta }, `pino record ${i}`);
    }
    await end();

    const rows = await waitForRun('acme', run, N);
    expect(rows).toHaveLength(N);
    const byIndex = new Map(rows.map((row) => [JSON.parse(row.message).i as number, row]));
    expect([...byIndex.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    for (const [i, row] of byIndex) {
      const line = JSON.parse(row.message) as { msg: string; time: number; i: number };
      expect({
        i,
        service: row.service,
        level: row.level,
        msg: line.msg,
        ts: row.ts.getTime(),
        labels: row.attributes.labels,
        metadata: row.attributes.structured_metadata,
      }).toEqual({
        i,
        service: 'checkout-pino',
        level: stored[i % 6],
        msg: `pino record ${i}`,
        ts: line.time,
        labels: { level: lokiLevels[i % 6], hostname: hostname(), service_name: 'checkout-pino', run },
        metadata: i % 2 === 0 ? { request_id: `req-${i}` } : undefined,
      });
    }
  });

  it('winston-loki (protobuf + snappy on the wire): N records are N rows, mapped', async () => {
    // What winston-loki really sends, seen at its http.request: the type and a snappy block.
    const sent: { contentType: unknown; body: Buffer[] }[] = [];
    const request = http.request;
    const spy = jest.spyOn(http, 'request').mockImplementation(((
      options: http.RequestOptions,
      callback?: (res: http.IncomingMessage) => void,
    ) => {
      const req = request(options, callback);
      const capture = {
        contentType: (options.headers as http.OutgoingHttpHeaders | undefined)?.['Content-Type'],
        body: [] as Buffer[],
      };
      sent.push(capture);
      const write = req.write.bind(req) as (chunk: Buffer) => boolean;
      req.write = ((chunk: Buffer) => {
        capture.body.push(Buffer.from(chunk));
        return write(chunk);
      }) as typeof req.write;
      return req;
    }) as unknown as typeof http.request);
    const run = runId();
    const errors: unknown[] = [];
    const { logger, transport } = winstonOnLoki(stack.keys.acme, { app: 'billing-winston', run }, (e) =>
      errors.push(e),
    );
    try {
      const winstonLevels = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];
      const stored = ['error', 'warn', 'info', 'info', 'debug', 'debug', 'trace'];
      // An hour back, inside ENTRY_MAX_AGE, with the records a second apart.
      const base = Date.now() - 3_600_000;
      const N = 21;
      for (let i = 0; i < N; i++) {
        logger.log(winstonLevels[i % 7], `winston record ${i}`, {
          order: i,
          timestamp: new Date(base + i * 1001 + 7).toISOString(),
        });
      }
      const rows = await waitForRun('acme', run, N);
      expect(errors).toEqual([]);
      expect(rows).toHaveLength(N);
      for (const row of rows) {
        const i = Number(/^winston record (\d+) /.exec(row.message)?.[1]);
        expect({
          service: row.service,
          level: row.level,
          ts: row.ts.getTime(),
          order: JSON.parse(row.message.slice(`winston record ${i} `.length)).order,
          labels: row.attributes.labels,
          metadata: row.attributes.structured_metadata,
        }).toEqual({
          service: 'billing-winston',
          level: stored[i % 7],
          ts: base + i * 1001 + 7,
          order: i,
          labels: { level: winstonLevels[i % 7], app: 'billing-winston', run },
          // The protobuf encoding of winston-loki carries no structured metadata.
          metadata: undefined,
        });
      }
      const pushes = sent.filter((s) => s.body.length > 0);
      expect(pushes.length).toBeGreaterThan(0);
      for (const push of pushes) {
        expect(push.contentType).toBe('application/x-protobuf');
        expect(uncompressSync(Buffer.concat(push.body), { asBuffer: true }).includes('winston record')).toBe(
          true,
        );
      }
    } finally {
      spy.mockRestore();
      await transport.close();
    }
  });

  it("a wrong key: each client's own error, nothing stored", async () => {
    const run = runId();
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const wrongKey = `wrong-${randomBytes(16).toString('hex')}`;
      const viaPino = pinoOnLoki(wrongKey, { job: 'wrong-key', run });
      viaPino.logger.info('never stored');
      await viaPino.end();
      // pino-loki reports a failed push on console.error: its message, then the answer's body.
      expect(consoleError).toHaveBeenCalledWith(
        'Got error when trying to send log to loki\nthe API key is not valid\n',
      );

      const errors: unknown[] = [];
      const viaWinston = winstonOnLoki(wrongKey, { job: 'wrong-key', run }, (e) => errors.push(e));
      viaWinston.logger.info('never stored either');
      await waitFor('winston-loki to report the refused push', async () => errors.length > 0, 15000);
      expect((errors[0] as Error).message).toBe('Server returned HTTP 401: the API key is not valid');
      expect((errors[0] as { statusCode: number }).statusCode).toBe(401);
      await viaWinston.transport.close();
    } finally {
      consoleError.mockRestore();
    }
    await stack.drained();
    expect(await rowsOfRun('acme', run)).toEqual([]);
    expect(await rowsOfRun('globex', run)).toEqual([]);
  });

  it('a 503 (backlog over its high water): winston-loki retries and lands every record once; pino-loki reports it', async () => {
    const run = runId();
    const pushJson = (value: unknown) =>
      fetch(`${stack.url}/loki/api/v1/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic('filler', stack.keys.globex) },
        body: JSON.stringify(value),
      });
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const worker = stack.pid('worker');
    process.kill(worker, 'SIGSTOP');
    let winstonTransport: LokiTransport | undefined;
    try {
      // Fill the backlog past the high water while the worker is stopped, then wait until both ingest
      // instances refuse (nginx passes an instance's 503 on without trying the other, and each instance
      // polls the backlog on its own).
      const filler = Array.from({ length: HIGH_WATER }, (_, i) => [nowNs(), `filler ${i}`]);
      expect((await pushJson({ streams: [{ stream: { job: 'filler', run }, values: filler }] })).status).toBe(
        204,
      );
      const refusedBy = new Set<string | null>();
      const refusal = await waitFor(
        'both ingest instances to refuse with 503',
        async () => {
          const response = await pushJson({
            streams: [{ stream: { job: 'probe', run }, values: [[nowNs(), 'probe']] }],
          });
          if (response.status !== 503) return false;
          refusedBy.add(response.headers.get('x-logpipe-instance'));
          return refusedBy.size === 2 ? response : false;
        },
        15000,
        250,
      );
      expect(refusal.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await refusal.text()).toContain('the pipeline is behind');

      const errors: { statusCode?: number }[] = [];
      const viaWinston = winstonOnLoki(stack.keys.acme, { app: 'retrying-winston', run }, (e) =>
        errors.push(e as { statusCode?: number }),
      );
      winstonTransport = viaWinston.transport;
      const N = 12;
      for (let i = 0; i < N; i++) viaWinston.logger.info(`retried record ${i}`);
      await waitFor('winston-loki to meet the 503', async () => errors.length > 0, 15000);
      expect(errors[0].statusCode).toBe(503);

      const viaPino = pinoOnLoki(stack.keys.acme, { app: 'pino-during-503', run });
      for (let i = 0; i < 5; i++) viaPino.logger.info(`dropped by pino-loki ${i}`);
      await viaPino.end();
      expect(consoleError).toHaveBeenCalledWith(
        expect.stringMatching(/^Got error when trying to send log to loki\nthe pipeline is behind: /),
      );

      process.kill(worker, 'SIGCONT');
      // winston-loki keeps a failed batch and sends it again on its next round, which after an error
      // comes 60 s later (its circuit-breaker interval).
      const rows = await waitForRun('acme', run, N, 100000);
      // winston-loki's line: the message, then the record's other fields as JSON.
      const indices = rows.map((row) => Number(/^retried record (\d+) \{/.exec(row.message)?.[1]));
      expect(indices.sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
      expect(rows.every((row) => row.service === 'retrying-winston')).toBe(true);
    } finally {
      process.kill(worker, 'SIGCONT');
      consoleError.mockRestore();
      await winstonTransport?.close();
    }
  }, 180000);

  it('malformed bodies are refused with a 4xx and nothing of them is stored', async () => {
    const run = runId();
    const post = (body: Buffer | string, contentType: string) =>
      fetch(`${stack.url}/loki/api/v1/push`, {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: basic('promtail', stack.keys.acme) },
        body,
      });
    const proto = (labels: string) =>
      Buffer.from(
        logproto.PushRequest.encode({
          streams: [
            {
              labels,
              entries: [
                { timestamp: { seconds: Math.floor(Date.now() / 1000), nanos: 0 }, line: `bad ${run}` },
              ],
            },
          ],
        }).finish(),
      );
    const good = proto(`{job="malformed", run="${run}"}`);
    const hugeLabels = Object.fromEntries(
      Array.from({ length: 2000 }, (_, i) => [`label_${i}`, `value ${i}`]),
    );
    const cases: [string, Buffer | string, string, number, string][] = [
      [
        'truncated protobuf',
        compressSync(good.subarray(0, good.length - 5)),
        'application/x-protobuf',
        400,
        'invalid protobuf PushRequest',
      ],
      [
        'bad snappy',
        Buffer.concat([good.subarray(0, 1), Buffer.from('garbage that is not snappy')]),
        'application/x-protobuf',
        400,
        "couldn't parse push request",
      ],
      ['uncompressed protobuf', good, 'application/x-protobuf', 400, "couldn't parse push request"],
      [
        'bad label string',
        compressSync(proto(`{job=malformed, run="${run}"}`)),
        'application/x-protobuf',
        400,
        'Error parsing labels',
      ],
      [
        'huge label set (protobuf)',
        compressSync(
          proto(
            `{${Object.entries(hugeLabels)
              .map(([k, v]) => `${k}="${v}"`)
              .join(', ')}}`,
          ),
        ),
        'application/x-protobuf',
        400,
        'label names; limit 15',
      ],
      [
        'huge label set (JSON)',
        JSON.stringify({ streams: [{ stream: { ...hugeLabels, run }, values: [[nowNs(), `bad ${run}`]] }] }),
        'application/json',
        400,
        'has 2001 label names; limit 15',
      ],
      [
        'numeric timestamp',
        JSON.stringify({ streams: [{ stream: { run }, values: [[Date.now() * 1e6, `bad ${run}`]] }] }),
        'application/json',
        400,
        'timestamp must be a string',
      ],
      [
        'line that is an object',
        JSON.stringify({ streams: [{ stream: { run }, values: [[nowNs(), { msg: `bad ${run}` }]] }] }),
        'application/json',
        400,
        'log line must be a string',
      ],
      [
        'label value that is a number',
        JSON.stringify({ streams: [{ stream: { run, n: 5 }, values: [[nowNs(), `bad ${run}`]] }] }),
        'application/json',
        400,
        'must have a string value',
      ],
      [
        'one good and one bad stream',
        JSON.stringify({
          streams: [
            { stream: { run }, values: [[nowNs(), `bad ${run}`]] },
            { stream: { run, x: 'y' }, values: [[nowNs(), '']] },
          ],
        }),
        'application/json',
        400,
        'entry 0: message must not be empty',
      ],
      [
        'snappy header announcing 2 GiB',
        Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08, 0x00]),
        'application/x-protobuf',
        413,
        'request body too large',
      ],
      ['another content type', `bad ${run}`, 'text/plain', 415, 'unsupported Content-Type'],
    ];
    for (const [name, body, contentType, status, text] of cases) {
      const response = await post(body, contentType);
      const answer = await response.text();
      expect({ name, status: response.status, type: response.headers.get('content-type') }).toEqual({
        name,
        status,
        type: 'text/plain; charset=utf-8',
      });
      expect({ name, answer }).toEqual({ name, answer: expect.stringContaining(text) });
    }
    await stack.drained();
    expect(await stack.rows('acme', `message LIKE $2`, [`%${run}%`])).toEqual([]);
  });
});
