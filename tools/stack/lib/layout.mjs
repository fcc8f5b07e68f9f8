// Where things live under the state dir. One function per path so no module builds paths by hand.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function stateLayout(stateDir) {
  return {
    root: stateDir,
    data: join(stateDir, 'data'),
    logs: join(stateDir, 'logs'),
    pids: join(stateDir, 'pids'),
    nginx: join(stateDir, 'nginx'),
    envFile: join(stateDir, 'env'),
    stackFile: join(stateDir, 'stack.json'),
    lockFile: join(stateDir, 'up.lock'),
    logFile: (name) => join(stateDir, 'logs', `${name}.log`),
    pidFile: (name) => join(stateDir, 'pids', `${name}.pid`),
  };
}

export function createLayoutDirs(layout) {
  for (const dir of [layout.root, layout.data, layout.logs, layout.pids, layout.nginx]) {
    mkdirSync(dir, { recursive: true });
  }
}

/**
 * stack.json records how the running stack was started (ports, external services, where PostgreSQL
 * keeps its cluster), so `status` and `down` act on that stack whatever flags they are given.
 */
export function readStackFile(layout) {
  if (!existsSync(layout.stackFile)) return null;
  try {
    return JSON.parse(readFileSync(layout.stackFile, 'utf8'));
  } catch {
    return null;
  }
}

export function writeStackFile(layout, record) {
  const tmp = `${layout.stackFile}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, layout.stackFile);
}
