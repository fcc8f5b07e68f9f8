// The stack's private Redis: its own port and directory, AOF on, stopped with SIGTERM (which makes
// Redis fsync the AOF before it exits).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findRedisServer } from './binaries.mjs';
import { StackError } from './errors.mjs';
import { probeRedis, probeTcpPort } from './health.mjs';
import { stopProcess } from './processes.mjs';

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
        args: [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--appendonly',
          'yes',
          '--appendfsync',
          'everysec',
          '--daemonize',
          'no',
          '--logfile',
          '',
          // A private instance: no config file, so nothing the system Redis uses is read or written.
          // The AOF is what keeps the stream; RDB snapshots on top (the default "60 10000" forks and
          // writes the whole backlog every minute under load) added nothing, and rewriting the AOF every
          // 64 MB (the default) forked every few seconds at batch rates. Without snapshots and with
          // rewrites every 512 MB: Redis CPU per batch entry 1.4-1.7 instead of 2.1-2.3 µs (BENCHMARKS.md).
          // docker-compose.yml runs Redis with the same flags.
          '--save',
          '',
          '--auto-aof-rewrite-min-size',
          '512mb',
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
