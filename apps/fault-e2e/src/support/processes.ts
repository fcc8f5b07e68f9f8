import {
  freePort,
  ServiceProcess,
  suiteWorkerEnv,
  type SuiteStorage,
  workspaceRoot,
} from '@logpipe/e2e-support';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export { freePort, type ExitStatus, ServiceProcess } from '@logpipe/e2e-support';

/** Every process a spec started, so afterAll can stop them all by PID whatever happened. */
export class ProcessRegistry {
  private readonly started: ServiceProcess[] = [];

  add<T extends ServiceProcess>(process: T): T {
    this.started.push(process);
    return process;
  }

  async startIngest(name: string, env: Record<string, string>): Promise<ServiceProcess> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const service = this.add(
      ServiceProcess.start(
        name,
        'ingest',
        { HOST: '127.0.0.1', PORT: String(port), INSTANCE_ID: name, ...env },
        url,
      ),
    );
    await service.waitHealthy();
    return service;
  }

  async startWorker(name: string, env: Record<string, string>, waitReady = true): Promise<ServiceProcess> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const service = this.add(
      ServiceProcess.start(
        name,
        'worker',
        { HEALTH_HOST: '127.0.0.1', HEALTH_PORT: String(port), ...env },
        url,
      ),
    );
    if (waitReady) await service.waitHealthy();
    return service;
  }

  /** Writes every process's output to tmp/fault-logs/<label>-<name>.log, for a failure to be read later. */
  saveLogs(label: string): string {
    const dir = join(workspaceRoot(), 'tmp', 'fault-logs');
    mkdirSync(dir, { recursive: true });
    for (const p of this.started) writeFileSync(join(dir, `${label}-${p.name}-${p.pid}.log`), p.logs());
    return dir;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.map((p) => p.stop('SIGKILL')));
  }
}

/**
 * A fault suite's worker for one scenario: the suite's storage, a name of its own, quick retries (100 ms
 * to 1 s, so a recovery is seen within a test) and trims every 200 ms. `extra` adds or overrides.
 */
export function faultWorkerEnv(
  storage: SuiteStorage,
  workerName: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return suiteWorkerEnv(storage, {
    WORKER_NAME: workerName,
    RETRY_BASE_MS: '100',
    RETRY_MAX_MS: '1000',
    TRIM_INTERVAL_MS: '200',
    ...extra,
  });
}
