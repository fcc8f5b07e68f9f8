import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pollUntil } from './poll';
import { isProcessAlive } from '@logpipe/e2e-support';

export const NGINX_BINARY =
  ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path)) ?? 'nginx';

/**
 * The load_module line this machine's nginx needs for the stream module (Debian's libnginx-mod-stream),
 * or '' when it is built in (as in the official image).
 */
export function streamModuleLoadLine(): string {
  const flags = spawnSync(NGINX_BINARY, ['-V'], { encoding: 'utf8' }).stderr ?? '';
  if (!flags.includes('--with-stream=dynamic')) return '';
  const dir = /--modules-path=(\S+)/.exec(flags)?.[1] ?? '/usr/lib/nginx/modules';
  return `load_module ${dir}/ngx_stream_module.so;`;
}

/** `nginx -t` on a prefix-relative configuration; returns nginx's verdict and its messages. */
export function nginxConfigTest(prefix: string, conf: string): { status: number | null; output: string } {
  const result = spawnSync(NGINX_BINARY, ['-t', '-p', `${prefix}/`, '-c', conf, '-e', 'stderr'], {
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export interface RunningNginx {
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts nginx in the foreground and waits until `healthUrl` answers. */
export async function startNginx(prefix: string, conf: string, healthUrl: string): Promise<RunningNginx> {
  const child = spawn(NGINX_BINARY, ['-p', `${prefix}/`, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const pid = child.pid as number;
  const stop = async () => {
    if (!isProcessAlive(pid)) return;
    child.kill('SIGQUIT');
    await pollUntil('nginx to exit', () => (isProcessAlive(pid) ? undefined : true), {
      timeoutMs: 10000,
      intervalMs: 50,
    });
  };
  try {
    await pollUntil(
      `nginx at ${healthUrl}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${output}`);
        try {
          return (await fetch(healthUrl)).ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 10000, intervalMs: 100 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { process: child, output: () => output, stop };
}
