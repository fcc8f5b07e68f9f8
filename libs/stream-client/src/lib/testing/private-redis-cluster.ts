import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_CLI = '/usr/bin/redis-cli';

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Where a node's cluster bus listens: its port + BUS_OFFSET (set with `cluster-port`; Redis' default,
 * + 10000, would put the bus ports among the kernel's ephemeral ports, 32768-60999, where any outgoing
 * connection of a parallel suite can take one between the check below and the node's bind).
 */
const BUS_OFFSET = 4000;

/**
 * `count` consecutive free ports from 26000-27999, each with its bus port (30000-31999) free too:
 * below the ephemeral range and above the private stacks' bases (18100-24000, e2e-support).
 */
async function findFreePorts(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 26000 + Math.floor(Math.random() * (2000 - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = await Promise.all(
      ports.flatMap((port) => [portIsFree(port), portIsFree(port + BUS_OFFSET)]),
    );
    if (free.every(Boolean)) return ports;
  }
  throw new Error(`No ${count} consecutive free ports (with free bus ports) found`);
}

/** Tries at a cluster start: a port taken between the check and the bind fails one, not the suite. */
const START_ATTEMPTS = 3;

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 5000,
  });
  return stdout;
}

export interface ClusterNode {
  port: number;
  pid: number;
  /** 'master' or 'slave', as CLUSTER NODES says at the time of asking */
  role: string;
  /** the hash slots it serves (masters) */
  slots: string[];
}

/**
 * A throw-away Redis Cluster for tests: `masters` masters with one replica each, from Debian's
 * redis-server on free ports, each with its own data folder under one tmp dir and AOF on. A short
 * cluster-node-timeout makes a replica take over within a few seconds of its master's death. Every
 * process is signalled by its own PID only; nothing else is touched.
 */
export class PrivateRedisCluster {
  private readonly processes = new Map<number, ChildProcess>();

  private constructor(
    readonly ports: number[],
    private readonly dir: string,
    readonly nodeTimeoutMs: number,
  ) {}

  static async start(
    options: { masters?: number; nodeTimeoutMs?: number } = {},
  ): Promise<PrivateRedisCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await PrivateRedisCluster.startOnce(options.masters ?? 3, options.nodeTimeoutMs ?? 2000);
      } catch (error) {
        if (attempt >= START_ATTEMPTS) throw error;
        console.warn(
          `Redis Cluster start ${attempt} of ${START_ATTEMPTS} failed (${String(error)}); again on other ports`,
        );
      }
    }
  }

  private static async startOnce(masters: number, nodeTimeoutMs: number): Promise<PrivateRedisCluster> {
    const cluster = new PrivateRedisCluster(
      await findFreePorts(masters * 2),
      mkdtempSync(join(tmpdir(), 'stream-client-cluster-')),
      nodeTimeoutMs,
    );
    const { ports } = cluster;
    try {
      for (const port of ports) await cluster.launch(port);
      await run(
        REDIS_CLI,
        [
          '--cluster',
          'create',
          ...ports.map((port) => `127.0.0.1:${port}`),
          '--cluster-replicas',
          '1',
          '--cluster-yes',
        ],
        { timeout: 30000 },
      );
      await cluster.waitUntilHealthy(30000);
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /** Seeds for REDIS_CLUSTER_NODES: every node. */
  get seeds(): string {
    return this.ports.map((port) => `127.0.0.1:${port}`).join(',');
  }

  /** The nodes as CLUSTER NODES reports them, asked of a node that is alive. */
  async nodes(): Promise<ClusterNode[]> {
    const alive = this.ports.find((port) => this.isRunning(port));
    if (alive === undefined) throw new Error('no cluster node is running');
    const text = await cli(alive, 'CLUSTER', 'NODES');
    return text
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .filter((fields) => !fields[2].includes('fail'))
      .map((fields) => {
        const port = Number(fields[1].split('@')[0].split(':')[1]);
        return {
          port,
          pid: this.processes.get(port)?.pid ?? -1,
          role: fields[2].includes('master') ? 'master' : 'slave',
          slots: fields.slice(8),
        };
      });
  }

  /** The master serving `slot`. */
  async masterOf(slot: number): Promise<ClusterNode> {
    const masters = (await this.nodes()).filter((node) => node.role === 'master');
    const owner = masters.find((node) =>
      node.slots.some((range) => {
        const [from, to = from] = range.split('-').map(Number);
        return slot >= from && slot <= to;
      }),
    );
    if (!owner) throw new Error(`no master serves slot ${slot}`);
    return owner;
  }

  /** CLUSTER KEYSLOT, asked of a live node. */
  async keySlot(key: string): Promise<number> {
    const alive = this.ports.find((port) => this.isRunning(port)) as number;
    return Number((await cli(alive, 'CLUSTER', 'KEYSLOT', key)).trim());
  }

  /** SIGKILL the node on `port` (by its PID) and wait until it is gone. */
  async kill(port: number): Promise<void> {
    const child = this.processes.get(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid as number, 'SIGKILL');
    await exited;
  }

  /** Resolves once every live node reports cluster_state:ok and all 16384 slots are served. */
  async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(
        this.ports
          .filter((port) => this.isRunning(port))
          .map((port) => cli(port, 'CLUSTER', 'INFO').catch(() => '')),
      );
      if (
        states.every((info) => info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384'))
      )
        return;
      if (Date.now() > deadline) throw new Error(`Redis Cluster not healthy within ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  isRunning(port: number): boolean {
    const child = this.processes.get(port);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.ports.map((port) => this.kill(port)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(port: number): Promise<void> {
    const dir = join(this.dir, String(port));
    mkdirSync(dir);
    const child = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--cluster-enabled',
        'yes',
        '--cluster-port',
        String(port + BUS_OFFSET),
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        String(this.nodeTimeoutMs),
        '--appendonly',
        'yes',
        '--save',
        '',
      ],
      { stdio: 'ignore' },
    );
    this.processes.set(port, child);
    const deadline = Date.now() + 10000;
    for (;;) {
      if (
        await cli(port, 'PING').then(
          (reply) => reply.trim() === 'PONG',
          () => false,
        )
      )
        return;
      if (Date.now() > deadline || !this.isRunning(port)) {
        throw new Error(`redis-server (cluster node) on port ${port} did not start`);
      }
      await sleep(50);
    }
  }
}
