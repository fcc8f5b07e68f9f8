import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './ports';
import { waitFor, workspaceRoot } from './workspace';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One real service process started from its built bundle; signalled by its PID only, never by name. */
export class ServiceProcess {
  private readonly output: string[] = [];
  readonly exited: Promise<ExitStatus>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly url: string,
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
    url: string,
  ): ServiceProcess {
    // The memory reducer off on the command line, as every launcher of the bundles runs them (README
    // "Memory"; NODE_OPTIONS refuses the flag).
    const main = join(workspaceRoot(), 'dist/apps', bundle, 'main.js');
    const child = spawn(process.execPath, ['--no-memory-reducer', main], {
      env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(name, child, url);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitHealthy(path = '/health/ready', timeoutMs = 30000): Promise<void> {
    await waitFor(
      `${this.name} healthy at ${this.url}${path}`,
      async () => {
        if (!this.isRunning) throw new Error(`${this.name} exited:\n${this.logs().slice(-2000)}`);
        const response = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(2000) });
        return response.ok;
      },
      timeoutMs,
    );
  }

  /** GET a health path; the status and JSON body, or null when nothing answered. */
  async health(path = '/health/ready'): Promise<{ status: number; body: Record<string, unknown> } | null> {
    try {
      const response = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(2000) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    } catch {
      return null;
    }
  }

  /** Sends `signal` and waits for the exit (SIGKILL after `timeoutMs` as a last resort). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20000): Promise<ExitStatus> {
    if (!this.isRunning) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The exit status once the process ends by itself, or null if it is still running after `timeoutMs`. */
  async exitWithin(timeoutMs: number): Promise<ExitStatus | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  logs(): string {
    return this.output.join('');
  }

  /** The JSON log lines this process printed (non-JSON lines are skipped). */
  logRecords(): Record<string, unknown>[] {
    return this.logs()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }
}

export async function startIngest(name: string, env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const service = ServiceProcess.start(
    name,
    'ingest',
    { HOST: '127.0.0.1', PORT: String(port), INSTANCE_ID: name, ...env },
    `http://127.0.0.1:${port}`,
  );
  await service.waitHealthy();
  return service;
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
