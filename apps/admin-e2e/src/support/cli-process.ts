import { workspaceRoot } from '@logpipe/e2e-support';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (dist/apps/cli/main.js) as its own process, the way an operator does. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(workspaceRoot(), 'dist/apps/cli/main.js'), ...args],
      { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 30000 },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });
}
