import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './support/repo-paths';

/** The unit's own `Environment="NODE_OPTIONS=..."` value and its `ExecStart` command line. */
function unitLaunch(file: string): { nodeOptions: string | undefined; execStart: string | undefined } {
  const text = readFileSync(join(REPO_ROOT, 'deploy', 'systemd', file), 'utf8');
  return {
    nodeOptions: /^Environment="NODE_OPTIONS=([^"]*)"$/m.exec(text)?.[1],
    execStart: /^ExecStart=(.*)$/m.exec(text)?.[1],
  };
}

describe('deploy/systemd', () => {
  it.each([
    ['logpipe-ingest@.service', 'ingest'],
    ['logpipe-worker.service', 'worker'],
  ])(
    '%s runs its bundle with the memory reducer off and the young generation\'s floor at NODE_OPTIONS\' ceiling (README "Memory")',
    (file, app) => {
      const { nodeOptions, execStart } = unitLaunch(file);
      const ceiling = /--max-semi-space-size=(\d+)/.exec(nodeOptions ?? '')?.[1];
      expect(ceiling).toBeDefined();
      expect(execStart).toBe(
        `/usr/bin/node --no-memory-reducer --min-semi-space-size=${ceiling} /opt/logpipe/dist/apps/${app}/main.js`,
      );
    },
  );
});
