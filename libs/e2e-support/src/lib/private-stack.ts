import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceRoot } from './workspace';

/**
 * A private copy of the one-command stack (tools/stack/cli.mjs: Redis, PostgreSQL, two ingest
 * instances, a worker, nginx) in a temp state dir on free ports, brought up detached and torn down
 * with `down --purge`, which stops exactly the PIDs of this state dir.
 */
export class PrivateStack {
  readonly stateDir = mkdtempSync(join(tmpdir(), 'logpipe-e2e-stack-'));
  env: Record<string, string> = {};

  constructor(
    readonly portBase: number,
    private readonly settings: Record<string, string>,
  ) {
    // Let the postgres and nginx OS users reach the state dir, so everything stays inside it.
    chmodSync(this.stateDir, 0o755);
  }

  private run(args: string[], timeoutMs: number) {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.settings };
    // A REDIS_URL / DATABASE_URL in the environment would make the stack use that server instead.
    for (const name of ['REDIS_URL', 'DATABASE_URL', 'LOGPIPE_PORT_BASE', 'LOGPIPE_STACK_DIR'])
      delete env[name];
    const result = spawnSync(
      process.execPath,
      [join(workspaceRoot(), 'tools/stack/cli.mjs'), ...args, '--state-dir', this.stateDir],
      {
        cwd: workspaceRoot(),
        env,
        encoding: 'utf8',
        timeout: timeoutMs,
      },
    );
    return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
  }

  /** `up --detach`: returns once every process is healthy. The bundles were built by this target's dependsOn. */
  up(): void {
    const result = this.run(
      [
        'up',
        '--detach',
        '--skip-install',
        '--skip-build',
        '--port-base',
        String(this.portBase),
        '--timeout',
        '90',
      ],
      150000,
    );
    if (result.status !== 0) throw new Error(`stack up failed (${result.status}):\n${result.output}`);
    this.env = Object.fromEntries(
      readFileSync(join(this.stateDir, 'env'), 'utf8')
        .split('\n')
        .filter((line) => /^[A-Z0-9_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  }

  pid(process: string): number {
    return Number(readFileSync(join(this.stateDir, 'pids', `${process}.pid`), 'utf8').trim());
  }

  accessLog(): Record<string, unknown>[] {
    const file = join(this.stateDir, 'nginx', 'logs', 'access.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Copies the stack's process logs to tmp/<folder>/<label>/ (the state dir is deleted at the end). */
  saveLogs(label: string, folder = 'fault-logs'): void {
    const logs = join(this.stateDir, 'logs');
    if (existsSync(logs)) cpSync(logs, join(workspaceRoot(), 'tmp', folder, label), { recursive: true });
  }

  /** Stops what this state dir's pid files name and deletes its data; whatever happened before. */
  down(): void {
    const result = this.run(['down', '--purge'], 120000);
    if (result.status !== 0) process.stderr.write(`stack down exited ${result.status}:\n${result.output}\n`);
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
