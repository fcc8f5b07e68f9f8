// `down`: stop, in order, what the state dir's pid files name (only PIDs that are still ours), and
// with --purge delete the data as well.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { REPO_ROOT, resolveStateDir, runtimeDirFor } from '../lib/config.mjs';
import { readStackFile, stateLayout } from '../lib/layout.mjs';
import { info, warn } from '../lib/output.mjs';
import { readPidFile } from '../lib/processes.mjs';
import { STOP_ORDER, configFromRecord, describeStack } from '../lib/stack.mjs';
import { stopService } from '../lib/supervisor.mjs';

// Only what the stack itself creates is deleted, never the state dir wholesale: --state-dir may
// point somewhere that holds other files.
function purge(layout, stateDir) {
  for (const path of [
    layout.data,
    layout.nginx,
    layout.logs,
    layout.pids,
    layout.envFile,
    layout.stackFile,
  ]) {
    rmSync(path, { recursive: true, force: true });
  }
  rmSync(runtimeDirFor(stateDir), { recursive: true, force: true });
  if (existsSync(stateDir) && readdirSync(stateDir).length === 0) rmSync(stateDir, { recursive: true });
  info(`purged the stack's data in ${stateDir}`);
}

export async function down(flags) {
  const stateDir = resolveStateDir(flags.stateDir, process.env);
  const layout = stateLayout(stateDir);
  const record = readStackFile(layout);
  if (record === null) {
    info(`no stack has been started in ${stateDir}`);
    if (flags.purge) purge(layout, stateDir);
    return 0;
  }
  const stack = describeStack({
    config: configFromRecord(record, REPO_ROOT),
    layout,
    postgresPaths: record.postgres,
  });
  for (const service of stack.ordered(STOP_ORDER)) await stopService(service, layout);
  const left = STOP_ORDER.filter((name) => readPidFile(layout.pidFile(name)) !== null);
  if (left.length > 0) {
    warn(`still running: ${left.join(', ')}; their pid files are kept`);
    return 1;
  }
  info(`stack stopped${flags.purge ? '' : `; data kept in ${layout.data}`}`);
  if (flags.purge) purge(layout, stateDir);
  return 0;
}
