// `status`: each process running or dead (with its PID), healthy or not, and its URL. Exits non-zero
// when anything is down, so scripts can use it as a check.
import { REPO_ROOT, resolveStateDir } from '../lib/config.mjs';
import { readStackFile, stateLayout } from '../lib/layout.mjs';
import { readPidFile } from '../lib/processes.mjs';
import { START_ORDER, configFromRecord, describeStack } from '../lib/stack.mjs';
import { inspect } from '../lib/supervisor.mjs';

async function serviceStatus(service, layout) {
  if (service.external) {
    const { ok, detail } = await service.probe();
    return { name: service.name, state: 'external', pid: null, healthy: ok, detail, url: service.url };
  }
  const { pid, running } = inspect(service, layout);
  const state = running ? 'running' : readPidFile(layout.pidFile(service.name)) === null ? 'stopped' : 'dead';
  const probe = running ? await service.probe() : { ok: false, detail: 'not running' };
  return { name: service.name, state, pid, healthy: probe.ok, detail: probe.detail, url: service.url };
}

export async function status(flags) {
  const stateDir = resolveStateDir(flags.stateDir, process.env);
  const layout = stateLayout(stateDir);
  const record = readStackFile(layout);
  if (record === null) {
    if (flags.json) process.stdout.write(`${JSON.stringify({ stateDir, services: [] })}\n`);
    else process.stdout.write(`no stack has been started in ${stateDir}\n`);
    return 1;
  }
  const stack = describeStack({
    config: configFromRecord(record, REPO_ROOT),
    layout,
    postgresPaths: record.postgres,
  });
  const services = await Promise.all(
    stack.ordered(START_ORDER).map((service) => serviceStatus(service, layout)),
  );
  const allUp = services.every(
    (service) => service.healthy && service.state !== 'dead' && service.state !== 'stopped',
  );
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ stateDir, portBase: record.portBase, allUp, services }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`logpipe stack in ${stateDir} (port base ${record.portBase})\n`);
    for (const s of services) {
      const state = s.pid === null ? s.state : `${s.state} (pid ${s.pid})`;
      const health =
        s.state === 'running' || s.state === 'external'
          ? s.healthy
            ? 'healthy'
            : `UNHEALTHY: ${s.detail}`
          : '-';
      process.stdout.write(`  ${s.name.padEnd(9)} ${state.padEnd(22)} ${s.url.padEnd(48)} ${health}\n`);
    }
  }
  return allUp ? 0 : 1;
}
