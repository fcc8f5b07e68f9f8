// What the kernel knows about the stack's processes: CPU time (to show which stage saturates) and
// resident memory (peak and over time), read from /proc.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

// Linux reports CPU times in USER_HZ ticks, which is 100 on every architecture it runs on.
const TICKS_PER_SECOND = 100;

function readText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * { ppid, ticks, systemTicks } from the text of /proc/<pid>/stat (the command may contain spaces and
 * parens): `ticks` is user + system CPU, `systemTicks` the system part alone.
 */
export function parseStat(text) {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  const systemTicks = Number(fields[12]);
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + systemTicks, systemTicks };
}

/** Every process's parent and CPU ticks: one snapshot of /proc. */
export function snapshotProcesses() {
  const processes = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const text = readText(`/proc/${name}/stat`);
    if (text !== null) processes.set(Number(name), parseStat(text));
  }
  return processes;
}

/** Busy and total ticks of the whole machine, from the first line of /proc/stat. */
export function machineTicks() {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = cpu[3] + cpu[4];
  return { busy: total - idle, total };
}

/** The group a pid belongs to: itself or its nearest ancestor that is a group root. */
function groupOf(pid, processes, roots) {
  for (let current = pid, hops = 0; current > 1 && hops < 64; hops += 1) {
    const group = roots.get(current);
    if (group !== undefined) return group;
    current = processes.get(current)?.ppid ?? 0;
  }
  return null;
}

/**
 * Measures CPU per named process group (a root pid and all its descendants: nginx's workers,
 * PostgreSQL's backends) between start() and stop(), as % of one core, plus "other" (everything on
 * the machine outside the groups) and the machine's idle share (% of all cores).
 * `roots()` is called at both ends so processes that start mid-window (a restarted worker, wrk) count.
 */
export function cpuMeter(roots) {
  let first;
  return {
    start() {
      first = { processes: snapshotProcesses(), machine: machineTicks(), at: performance.now() };
    },
    stop() {
      const processes = snapshotProcesses();
      const machine = machineTicks();
      const seconds = (performance.now() - first.at) / 1000;
      const groupRoots = new Map();
      for (const [name, pids] of Object.entries(roots())) {
        for (const pid of [pids].flat()) if (pid) groupRoots.set(pid, name);
      }
      const ticks = Object.fromEntries([...new Set(groupRoots.values())].map((name) => [name, 0]));
      for (const [pid, { ticks: now }] of processes) {
        const group = groupOf(pid, processes, groupRoots);
        if (group === null) continue;
        ticks[group] += now - (first.processes.get(pid)?.ticks ?? 0);
      }
      const coreShare = (value) => (100 * value) / (TICKS_PER_SECOND * seconds);
      const percent = Object.fromEntries(Object.entries(ticks).map(([name, t]) => [name, coreShare(t)]));
      const busy = machine.busy - first.machine.busy;
      const ours = Object.values(ticks).reduce((sum, value) => sum + value, 0);
      percent.other = Math.max(0, coreShare(busy - ours));
      percent.machineIdle = 100 * (1 - busy / Math.max(1, machine.total - first.machine.total));
      return { seconds, percent };
    },
  };
}

/** { rssKiB, hwmKiB } from /proc/<pid>/status; null when the process is gone. */
export function memoryOf(pid) {
  const text = readText(`/proc/${pid}/status`);
  if (text === null) return null;
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') };
}

/**
 * Resets the process's peak RSS (VmHWM) to its current RSS (writing 5 to clear_refs, Linux ≥ 4.0;
 * needs to own the process or be root), so VmHWM afterwards is the peak of the scenario only.
 * Returns false when the kernel refused; the sampled maximum is then the only peak.
 */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The larger of the sampled VmRSS and VmHWM over `points`, in MiB. */
function peakMiB(points) {
  return Math.max(...points.map((point) => Math.max(point.rssKiB, point.hwmKiB || 0))) / 1024;
}

/**
 * Samples VmRSS of named pids every `intervalMs` and reports, per name, the RSS at the first and last
 * sample, the peak (the larger of the sampled maximum and VmHWM, reset at start), in MiB.
 */
export function memoryMeter(pidsByName, intervalMs = 250) {
  const series = {};
  // VmHWM is only the scenario's peak for a pid whose peak was reset at start, or that started later.
  const unresetPids = new Set();
  let timer;
  const sample = () => {
    for (const [name, pid] of Object.entries(pidsByName())) {
      const memory = pid ? memoryOf(pid) : null;
      if (memory === null) continue;
      const hwmKiB = unresetPids.has(pid) ? 0 : memory.hwmKiB;
      (series[name] ??= []).push({ pid, rssKiB: memory.rssKiB, hwmKiB });
    }
  };
  return {
    start() {
      for (const pid of Object.values(pidsByName())) if (pid && !resetPeakRss(pid)) unresetPids.add(pid);
      sample();
      timer = setInterval(sample, intervalMs);
    },
    /** Per name, the peak so far in MiB (a fresh sample included): the peak of a phase within the run. */
    peakSoFar() {
      sample();
      return Object.fromEntries(Object.entries(series).map(([name, points]) => [name, peakMiB(points)]));
    },
    stop() {
      clearInterval(timer);
      sample();
      return Object.fromEntries(
        Object.entries(series).map(([name, points]) => [
          name,
          {
            startMiB: points[0].rssKiB / 1024,
            endMiB: points.at(-1).rssKiB / 1024,
            peakMiB: peakMiB(points),
          },
        ]),
      );
    },
  };
}

/** When the machine booted, in ms since the epoch, to 10 ms: now minus /proc/uptime. */
function bootEpochMs() {
  const uptimeSeconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Date.now() - uptimeSeconds * 1000;
}

/**
 * When the process started, in ms since the epoch (to about 20 ms); null when it is gone.
 *
 * The boot time comes from /proc/uptime (hundredths of a second), not /proc/stat's `btime`: btime is
 * whole seconds, so a start time built on it is off by the boot time's fraction, up to a second, the
 * same way for every process of one boot. On the machine of 2026-11-30 12:20 it put every start 0.96 s
 * early, and the worker drains (timed from the worker's start) were that much longer.
 */
export function processStartEpochMs(pid) {
  const text = readText(`/proc/${pid}/stat`);
  if (text === null) return null;
  // starttime is field 22 (clock ticks after boot); the split starts at field 3.
  const startTicks = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]);
  return bootEpochMs() + (startTicks / TICKS_PER_SECOND) * 1000;
}
