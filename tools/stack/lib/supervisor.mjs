// Per-service lifecycle against the pid files: inspect, reuse or start, wait for health, stop.
import { StackError } from './errors.mjs';
import { waitUntilHealthy } from './health.mjs';
import { info, tailOf, warn } from './output.mjs';
import { describePortOwner, isPortFree } from './ports.mjs';
import { belongsTo, isAlive, readPidFile, removePidFile, spawnDetached, writePidFile } from './processes.mjs';

/** { pid, running }: running only when the pid file's PID is alive and is still this service. */
export function inspect(service, layout) {
  if (service.external) return { pid: null, running: true };
  const pid = readPidFile(layout.pidFile(service.name));
  return { pid, running: pid !== null && belongsTo(pid, service.identity) };
}

/**
 * Reuses the service when its pid file names a live process of ours; otherwise starts it, after
 * checking that its port is free (a port taken by something else is an error naming the holder).
 * Resolves with { pid, reused }.
 */
export async function ensureStarted(service, layout) {
  const { pid, running } = inspect(service, layout);
  if (running) return { pid, reused: true };
  if (pid !== null) {
    info(`${service.name}: pid ${pid} from an earlier run is gone; starting it again`);
    removePidFile(layout.pidFile(service.name));
  }
  if (!(await isPortFree(service.port))) {
    throw new StackError(
      `port ${service.port} (for ${service.name}) is already in use by ${describePortOwner(service.port)}`,
      'Stop that process, or move the whole stack with --port-base N / LOGPIPE_PORT_BASE.',
    );
  }
  service.prepare?.();
  let newPid;
  try {
    newPid = await spawnDetached({ ...service.spawnSpec(), logFile: layout.logFile(service.name) });
  } catch (error) {
    throw new StackError(`${service.name} could not be started: ${error.message}`);
  }
  writePidFile(layout.pidFile(service.name), newPid);
  return { pid: newPid, reused: false };
}

/**
 * Waits, in parallel, until every service's probe passes. Fails fast when a process exits, and at
 * the deadline names every service that is not healthy, with its last probe result and log tail.
 */
export async function waitAllHealthy(services, layout, deadline, signal) {
  const results = await Promise.all(
    services.map(async (service) => {
      const pid = service.external ? null : readPidFile(layout.pidFile(service.name));
      const result = await waitUntilHealthy({
        probe: service.probe,
        isAlive: pid === null ? undefined : () => isAlive(pid),
        deadline,
        signal,
      });
      return { service, pid, ...result };
    }),
  );
  if (signal?.aborted) throw signal.reason;
  const failed = results.filter((result) => !result.ok);
  if (failed.length === 0) return;
  const details = failed.map(({ service, pid, exited, detail }) => {
    const what = exited ? `exited (pid ${pid})` : `not healthy in time (${detail})`;
    return service.external
      ? `${service.name} (external ${service.url}): ${detail}`
      : `${service.name} ${what}\n${tailOf(layout.logFile(service.name))}`;
  });
  throw new StackError(
    `not healthy: ${failed.map(({ service }) => service.name).join(', ')}`,
    details.join('\n\n'),
  );
}

/** Stops one service by its pid file's PID, only if that PID is still ours; removes the pid file. */
export async function stopService(service, layout) {
  if (service.external) return;
  const pidFile = layout.pidFile(service.name);
  const pid = readPidFile(pidFile);
  if (pid === null) return;
  if (!isAlive(pid)) {
    removePidFile(pidFile);
    return;
  }
  if (!belongsTo(pid, service.identity)) {
    warn(`${service.name}: pid ${pid} is now another process; not touching it`);
    removePidFile(pidFile);
    return;
  }
  info(`stopping ${service.name} (pid ${pid})`);
  const stoppedBy = await service.stop(pid);
  if (stoppedBy === null) {
    warn(`${service.name} (pid ${pid}) did not exit; its pid file is kept`);
    return;
  }
  if (stoppedBy === 'SIGKILL') warn(`${service.name} (pid ${pid}) ignored the polite signals and was killed`);
  removePidFile(pidFile);
}
