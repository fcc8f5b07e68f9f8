// Spawning, identifying and stopping the stack's processes, by PID only.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Environment variable that ties a process to one state dir and one name; see belongsTo(). */
export const MARKER_VARIABLE = 'LOGPIPE_STACK_PROCESS';

export function markerFor(stateDir, name) {
  return `${stateDir}#${name}`;
}

export function readPidFile(file) {
  if (!existsSync(file)) return null;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function writePidFile(file, pid) {
  writeFileSync(file, `${pid}\n`);
}

export function removePidFile(file) {
  rmSync(file, { force: true });
}

function readProc(pid, entry) {
  try {
    return readFileSync(`/proc/${pid}/${entry}`);
  } catch {
    return null;
  }
}

/**
 * True while the process exists and is not a zombie. A zombie still answers kill(pid, 0), and a
 * detached child whose parent (the CLI) has exited waits as one until init reaps it.
 */
export function isAlive(pid) {
  const stat = readProc(pid, 'stat');
  if (stat === null) return false;
  const text = stat.toString('utf8');
  const state = text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

export function commandLineOf(pid) {
  const raw = readProc(pid, 'cmdline');
  return raw === null ? '' : raw.toString('utf8').replace(/\0+$/, '').replaceAll('\0', ' ');
}

/**
 * Whether `pid` is still the process a pid file names, and not an unrelated one that reused the PID:
 * its command line contains every expected fragment and, when its environment is readable and carries
 * the stack marker, the marker names this state dir and process. (nginx, redis and postgres overwrite
 * their environment block with their process title, so for them the command line alone decides.)
 */
export function belongsTo(pid, identity) {
  if (!isAlive(pid)) return false;
  const cmdline = commandLineOf(pid);
  if (!identity.cmdline.every((fragment) => cmdline.includes(fragment))) return false;
  const environ = readProc(pid, 'environ');
  if (environ === null || identity.marker === undefined) return true;
  const prefix = `${MARKER_VARIABLE}=`;
  const entry = environ
    .toString('utf8')
    .split('\0')
    .find((line) => line.startsWith(prefix));
  return entry === undefined || entry === prefix + identity.marker;
}

/**
 * Starts a process in its own session (setsid), so a Ctrl-C in the terminal reaches only the CLI,
 * which then stops everything in order. Output is appended to the process's log file. Resolves with
 * the PID once the process has been created; rejects when it could not be (e.g. missing binary).
 */
export function spawnDetached({ command, args, env, cwd, logFile, uid, gid }) {
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd,
      env,
      uid,
      gid,
      detached: true,
      stdio: ['ignore', log, log],
    });
    return new Promise((resolvePid, reject) => {
      child.once('error', reject);
      child.once('spawn', () => {
        child.unref();
        resolvePid(child.pid);
      });
    });
  } finally {
    closeSync(log);
  }
}

export async function waitForExit(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
  }
}

/**
 * Sends `signals` in turn, each followed by a wait of its budget, until the process is gone. Resolves
 * with the name of the signal that ended it (the first one, normally), or null if none did.
 */
export async function stopProcess(pid, signals) {
  for (const [name, timeoutMs] of signals) {
    if (!isAlive(pid)) return name;
    signal(pid, name);
    if (await waitForExit(pid, timeoutMs)) return name;
  }
  return null;
}

// Linux reports process start times in USER_HZ ticks, which is 100 on every architecture it runs on.
const USER_HZ = 100;

/** When the process started (ms since the epoch), from /proc; null when it is gone. */
export function processStartMs(pid) {
  const stat = readProc(pid, 'stat');
  if (stat === null) return null;
  const system = readFileSync('/proc/stat');
  const text = stat.toString('utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // starttime is field 22 of stat; fields[] starts at field 3 (state).
  const startTicks = Number(fields[22 - 3]);
  const bootSeconds = Number(/^btime (\d+)$/m.exec(system.toString('utf8'))?.[1]);
  return bootSeconds * 1000 + (startTicks / USER_HZ) * 1000;
}
