// What fault-results.ts needs, kept apart from @logpipe/e2e-support because Jest's globalSetup loads
// that file without the path aliases. Everything else comes from @logpipe/e2e-support.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root (where nx.json lives), whatever folder Jest runs from. */
export function workspaceRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('nx.json not found above ' + __dirname);
    dir = parent;
  }
  return dir;
}
