import { decodeSyslogFrame, type SyslogLogEntry } from '@logpipe/protocol-syslog';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SyslogWriteResult } from './syslog-batch.writer';
import { SyslogConnection, type SyslogConnectionDeps } from './syslog-connection';
import type { SyslogSettings } from './syslog-settings';

const settings = {
  maxMessageBytes: 4096,
  maxLineBytes: 4096,
  idleTimeoutMs: 0,
  frameTimeoutMs: 300,
  batchEntries: 100,
} as SyslogSettings;

const counter = () => ({ inc: jest.fn() });

/** A SyslogConnection on a real loopback socket, with the ingest path replaced by `write`. */
class Harness {
  server!: Server;
  serverSocket!: Socket;
  connection!: SyslogConnection;
  accepting = true;
  batches: SyslogLogEntry[][] = [];
  refused: string[] = [];
  write: (entries: SyslogLogEntry[]) => SyslogWriteResult = () => ({ ok: true });
  readonly metrics = { pauses: counter(), connectionsClosed: counter(), messagesDropped: counter() };

  async start(): Promise<Socket> {
    const accepted = new Promise<void>((resolve) => {
      this.server = createServer((socket) => {
        this.serverSocket = socket;
        const deps: SyslogConnectionDeps = {
          settings,
          intake: {
            take: (frame) => ({
              tenant: 'acme',
              entry: decodeSyslogFrame(frame, {
                receivedAt: Date.now(),
                timeZone: 'UTC',
                keyElementId: 'k@1',
              }).entry,
            }),
            refused: (reason) => void this.refused.push(reason),
          },
          writer: {
            write: async (_tenant, entries) => {
              const result = this.write(entries);
              if (result.ok) this.batches.push(entries);
              return result;
            },
            countRefused: () => undefined,
          },
          metrics: this.metrics as unknown as SyslogConnectionDeps['metrics'],
          accepting: () => this.accepting,
          pollIntervalMs: 10,
        };
        this.connection = new SyslogConnection(socket, 'tcp', 'acme', deps);
        this.connection.start();
        resolve();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    const address = this.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const client = await new Promise<Socket>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
    });
    await accepted;
    return client;
  }

  delivered(): string[] {
    return this.batches.flat().map((entry) => entry.message);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function until(what: string, condition: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const frames = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => {
    const message = `<14>1 - host app - - - message ${String(from + i).padStart(6, '0')}`;
    return `${Buffer.byteLength(message)} ${message}`;
  }).join('');

describe('SyslogConnection on a real socket', () => {
  let harness: Harness;

  beforeEach(() => {
    harness = new Harness();
  });

  afterEach(async () => {
    await harness.stop();
  });

  it('hands every frame to the ingest path in order, in batches no larger than SYSLOG_BATCH_ENTRIES, however the stream is cut', async () => {
    const client = await harness.start();
    const stream = Buffer.from(frames(250));
    for (let at = 0; at < stream.length; at += 7) client.write(stream.subarray(at, at + 7));
    client.end();
    await harness.connection.done;
    expect(harness.delivered()).toEqual(
      Array.from({ length: 250 }, (_, i) => `message ${String(i).padStart(6, '0')}`),
    );
    expect(Math.max(...harness.batches.map((batch) => batch.length))).toBeLessThanOrEqual(100);
  });

  it('stops reading while the pipeline refuses and the backlog is over high water, then resumes and loses nothing', async () => {
    const client = await harness.start();
    harness.accepting = false;
    harness.write = () => ({ ok: false, reason: 'unavailable', retryAfterMs: 50 });
    const total = 40000;
    const stream = Buffer.from(frames(total));
    client.write(stream);
    await until('a pause', () => harness.metrics.pauses.inc.mock.calls.length > 0);
    // Paused: once Node's read buffer is full the server reads nothing more, however long this lasts.
    await sleep(200);
    const readWhilePaused = harness.serverSocket.bytesRead;
    await sleep(300);
    expect(harness.serverSocket.bytesRead).toBe(readWhilePaused);
    expect(readWhilePaused).toBeLessThan(stream.length);
    expect(harness.batches).toEqual([]);

    harness.write = () => ({ ok: true });
    harness.accepting = true;
    client.end();
    await harness.connection.done;
    const delivered = harness.delivered();
    expect(delivered).toHaveLength(total);
    expect(new Set(delivered).size).toBe(total);
  });

  it('closes a connection that stalls inside a frame after SYSLOG_FRAME_TIMEOUT_MS, refusing the partial frame', async () => {
    const client = await harness.start();
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.on('error', () => undefined);
    client.write(`${frames(2)}80 <13>1 - - app - - - partial`);
    await closed;
    await harness.connection.done;
    expect(harness.delivered()).toEqual(['message 000000', 'message 000001']);
    expect(harness.refused).toEqual(['incomplete-frame']);
    expect(harness.metrics.connectionsClosed.inc).toHaveBeenCalledWith({ reason: 'partial_frame' });
  });

  it('at shutdown stops reading, queues what was framed and closes', async () => {
    const client = await harness.start();
    client.on('error', () => undefined);
    client.write(frames(10));
    await until('10 frames delivered', () => harness.delivered().length === 10);
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    await harness.connection.stop(Date.now() + 1000);
    client.end();
    await closed;
    expect(harness.delivered()).toHaveLength(10);
    expect(harness.metrics.connectionsClosed.inc).toHaveBeenCalledWith({ reason: 'shutdown' });
  });
});
