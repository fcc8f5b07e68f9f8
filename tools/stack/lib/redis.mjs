// The stack's private Redis: its own port and directory, AOF on, stopped with SIGTERM (which makes
// Redis fsync the AOF before it exits).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findRedisServer } from './binaries.mjs';
import { StackError } from './errors.mjs';
import { probeRedis, probeTcpPort } from './health.mjs';
import { stopProcess } from './processes.mjs';

/** Logpipe's Redis settings (persistence), shared with docker-compose.yml and the fault suites. */
function redisConfigFile(repoRoot) {
  return join(repoRoot, 'deploy', 'redis', 'logpipe.conf');
}

export function redisUrlFor(port) {
  return `redis://127.0.0.1:${port}`;
}

export function redisService({ config, layout, identityMarker, baseEnv }) {
  const port = config.ports.redis;
  const dir = join(layout.data, 'redis');
  return {
    name: 'redis',
    port,
    url: redisUrlFor(port),
    // Redis rewrites its process title to "redis-server 127.0.0.1:<port>", which is what remains to match.
    identity: { cmdline: ['redis-server', `:${port}`], marker: identityMarker('redis') },
    prepare() {
      mkdirSync(dir, { recursive: true });
    },
    spawnSpec() {
      const command = findRedisServer();
      if (command === null) throw new StackError('redis-server is not installed');
      return {
        command,
        // deploy/redis/logpipe.conf first (persistence: AOF fsynced every second, no RDB snapshots,
        // rewrites every 512 MB; docker-compose.yml mounts the same file), then what is this instance's
        // own. A private instance: no other config file, so nothing the system Redis uses is read or written.
        args: [
          redisConfigFile(config.repoRoot),
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--daemonize',
          'no',
          '--logfile',
          '',
        ],
        env: baseEnv('redis'),
        cwd: dir,
      };
    },
    probe: () => probeRedis('127.0.0.1', port),
    stop: (pid) =>
      stopProcess(pid, [
        ['SIGTERM', 30000],
        ['SIGKILL', 5000],
      ]),
  };
}

/** An external Redis (REDIS_URL set): probed, never started or stopped. */
export function externalRedis(url) {
  const parsed = new URL(url);
  const host = parsed.hostname;
  const port = Number(parsed.port || 6379);
  return {
    name: 'redis',
    external: true,
    url,
    // Over TLS a plain-text PING gets no answer; reaching the port is the most that can be checked.
    probe: () => (parsed.protocol === 'rediss:' ? probeTcpPort(host, port) : probeRedis(host, port)),
  };
}
