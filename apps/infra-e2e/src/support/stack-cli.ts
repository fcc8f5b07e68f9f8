import { spawnSync } from 'node:child_process';
import { REPO_ROOT, STACK_CLI } from './repo-paths';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

// The stack would use a REDIS_URL / DATABASE_URL from the environment instead of its own services,
// and LOGPIPE_* would move it; tests pass everything explicitly.
const INHERITED_OVERRIDES = ['REDIS_URL', 'DATABASE_URL', 'LOGPIPE_PORT_BASE', 'LOGPIPE_STACK_DIR'];

export function stackEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED_OVERRIDES) delete env[name];
  return { ...env, ...extra };
}

/** Runs tools/stack/cli.mjs with `args`, the way `npm run stack*` does, and returns its output. */
export function runStackCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): CliResult {
  const result = spawnSync(process.execPath, [STACK_CLI, ...args], {
    cwd: REPO_ROOT,
    env: options.env ?? stackEnv(),
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60000,
  });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

export function describeFailure(what: string, result: CliResult): string {
  return `${what} exited ${result.status}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** Renders the stack's nginx config into `outDir` (an nginx prefix); returns the main conf path. */
export function renderStackNginx(outDir: string, portBase: number, env: Record<string, string> = {}): string {
  const result = runStackCli(['render-nginx', '--out', outDir, '--port-base', String(portBase)], {
    env: stackEnv(env),
  });
  if (result.status !== 0) throw new Error(describeFailure('render-nginx', result));
  return (JSON.parse(result.stdout) as { conf: string }).conf;
}
