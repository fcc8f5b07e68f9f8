import { createServer } from 'node:net';

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

function isFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolveFree(true)));
  });
}

/**
 * The first base from `start` (in steps of 10) whose `count` consecutive ports are all free, for a
 * private stack (nginx .. postgres and the syslog ports: 9) that must never collide with a developer's stack
 * (8088-8093) or another test run.
 */
export async function findFreePortBase(start: number, count = 9): Promise<number> {
  for (let base = start; base < start + 3000; base += 10) {
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = await Promise.all(ports.map(isFree));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports from ${start}`);
}
