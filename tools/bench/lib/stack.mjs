// The Logpipe stack under test, driven only through its public interface (tools/stack/cli.mjs, the
// state dir's env and pid files), in a state dir of the bench's own so a developer's stack and data
// are never touched.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryOf } from './proc-stats.mjs';
import { sleep } from './sleep.mjs';

export const SERVICES = ['nginx', 'ingest-1', 'ingest-2', 'worker', 'redis', 'postgres'];

function runCli(repoRoot, args, env, log) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'tools/stack/cli.mjs'), ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk) => {
      output += chunk;
      log?.(chunk.toString());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`stack ${args[0]} exited ${code}:\n${output.slice(-3000)}`)),
    );
  });
}

/** KEY=value lines of the state dir's env file (values the stack shell-quoted are unquoted). */
export function readEnvFile(file) {
  const entries = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match === null) continue;
    const raw = match[2];
    entries[match[1]] = raw.startsWith("'") ? raw.slice(1, -1).replaceAll("'\\''", "'") : raw;
  }
  return entries;
}

/**
 * A handle on the bench's stack. `env` is what every `up` gets: the same values each time, because
 * `up` re-renders nginx's config from them and reloads nginx when it changed.
 */
export function benchStack({ repoRoot, stateDir, portBase, env, log }) {
  const cliFlags = ['--state-dir', stateDir, '--port-base', String(portBase)];
  const pidFile = (name) => join(stateDir, 'pids', `${name}.pid`);
  const stack = {
    stateDir,
    portBase,
    nginxUrl: `http://127.0.0.1:${portBase}`,
    async up({ skipBuild = false } = {}) {
      await runCli(
        repoRoot,
        ['up', '--detach', ...cliFlags, ...(skipBuild ? ['--skip-build'] : [])],
        env,
        log,
      );
      Object.assign(stack, { urls: readEnvFile(join(stateDir, 'env')) });
    },
    async down({ purge = false } = {}) {
      if (!existsSync(join(stateDir, 'stack.json'))) return;
      await runCli(repoRoot, ['down', '--state-dir', stateDir, ...(purge ? ['--purge'] : [])], env, log);
    },
    pid(name) {
      try {
        const pid = Number.parseInt(readFileSync(pidFile(name), 'utf8'), 10);
        return memoryOf(pid) === null ? null : pid;
      } catch {
        return null;
      }
    },
    pids() {
      return Object.fromEntries(SERVICES.map((name) => [name, stack.pid(name)]));
    },
    /** SIGTERM to the worker (it stores and acknowledges its batch in flight), then wait for it to exit. */
    async stopWorker(timeoutMs = 30000) {
      const pid = stack.pid('worker');
      if (pid === null) return;
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + timeoutMs;
      while (memoryOf(pid) !== null) {
        if (Date.now() > deadline) throw new Error(`worker (pid ${pid}) did not exit within ${timeoutMs} ms`);
        await sleep(50);
      }
    },
    /** `up` again: the stack reuses what runs and starts what is missing (a stopped worker or ingest). */
    async startMissing() {
      await runCli(repoRoot, ['up', '--detach', ...cliFlags, '--skip-install', '--skip-build'], env, log);
    },
    async startWorker() {
      await stack.startMissing();
    },
  };
  return stack;
}
