import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor, workspaceRoot } from './workspace';

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One real service process started from its built bundle; stopped by PID, never by name. */
export class ServiceProcess {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly healthUrl: string,
  ) {
    const collect = (chunk: Buffer) => this.output.push(chunk.toString());
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(
    name: string,
    bundle: 'ingest' | 'worker',
    env: Record<string, string>,
    healthUrl: string,
  ): ServiceProcess {
    const child = spawn(process.execPath, [join(workspaceRoot(), 'dist/apps', bundle, 'main.js')], {
      env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(name, child, healthUrl);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitHealthy(path = '/health/ready', timeoutMs = 30000): Promise<void> {
    await waitFor(
      `${this.name} healthy at ${this.healthUrl}${path}`,
      async () => {
        if (!this.isRunning) throw new Error(`${this.name} exited:\n${this.output.join('').slice(-2000)}`);
        const response = await fetch(`${this.healthUrl}${path}`);
        return response.ok;
      },
      timeoutMs,
    );
  }

  /** Sends `signal` and waits for the exit (SIGKILL after `timeoutMs` as a last resort). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20000) {
    if (!this.isRunning) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  logs(): string {
    return this.output.join('');
  }
}

export async function startIngest(
  name: string,
  env: Record<string, string>,
): Promise<ServiceProcess & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = ServiceProcess.start(
    name,
    'ingest',
    { HOST: '127.0.0.1', PORT: String(port), INSTANCE_ID: name, ...env },
    url,
  );
  await service.waitHealthy();
  return Object.assign(service, { url });
}

export async function startWorker(
  name: string,
  env: Record<string, string>,
  waitReady = true,
): Promise<ServiceProcess> {
  const port = await freePort();
  const service = ServiceProcess.start(
    name,
    'worker',
    { HEALTH_HOST: '127.0.0.1', HEALTH_PORT: String(port), ...env },
    `http://127.0.0.1:${port}`,
  );
  if (waitReady) await service.waitHealthy();
  return service;
}
