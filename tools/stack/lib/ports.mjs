// Is a port free, and if not, who holds it (from /proc, so no lsof/ss is needed).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { commandLineOf } from './processes.mjs';

/** Tries to bind 127.0.0.1:port; a listener on 0.0.0.0 or 127.0.0.1 makes that fail on Linux. */
export function isPortFree(port) {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => resolveFree(true));
    });
  });
}

function listeningInodes(port) {
  const inodes = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const localPort = Number.parseInt(fields[1].split(':')[1], 16);
      // st 0A is TCP_LISTEN.
      if (localPort === port && fields[3] === '0A') inodes.add(fields[9]);
    }
  }
  return inodes;
}

/**
 * The process listening on `port`, as "pid N (command line)", or a plain note when the socket's owner
 * cannot be read (another user's process when not root).
 */
export function describePortOwner(port) {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return 'an unknown process';
  const targets = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let fds;
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      if (targets.has(target)) return `pid ${entry} (${commandLineOf(Number(entry)) || 'unknown command'})`;
    }
  }
  return 'a process this user cannot inspect';
}
