import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes';
import { workspaceRoot } from './workspace';
import { waitFor } from '@logpipe/e2e-support';

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * A throw-away redis-server with the stack's persistence (AOF, appendfsync everysec) on its own port
 * and data dir, restartable on the same port with the same data, for tests that kill Redis. It is
 * only ever signalled by its own PID; the shared Redis on 6379 is never touched.
 */
export class PrivateRedis {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  readonly dir = mkdtempSync(join(tmpdir(), 'fault-e2e-redis-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const server = new PrivateRedis(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts redis-server (again) on the same port and data dir: it reloads its AOF. */
  async start(): Promise<void> {
    if (this.isRunning) throw new Error('private Redis is already running');
    const child = spawn(
      'redis-server',
      [
        // The stack's settings (AOF fsynced every second, no RDB snapshots), then this instance's own.
        join(workspaceRoot(), 'deploy', 'redis', 'logpipe.conf'),
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--daemonize',
        'no',
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitFor(
      `private Redis on port ${this.port}`,
      async () => {
        if (!this.isRunning) throw new Error('redis-server exited');
        return answersPing(this.port);
      },
      15000,
      50,
    );
  }

  /** SIGKILL: the process dies at once (what the OS page cache holds of the AOF survives). SIGTERM: Redis's own SHUTDOWN, AOF flushed. */
  async stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.isRunning) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    await this.exited;
    clearTimeout(timer);
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
