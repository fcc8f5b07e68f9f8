import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { cpuMeter, memoryMeter, memoryOf, processStartEpochMs } from '../lib/proc-stats.mjs';

test("cpuMeter attributes a busy loop's CPU to the process group that ran it", () => {
  const meter = cpuMeter(() => ({ me: process.pid }));
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  meter.start();
  const until = performance.now() + 400;
  let spin = 0;
  while (performance.now() < until) spin += 1;
  const { percent, seconds } = meter.stop();
  const cpu = process.cpuUsage(cpuBefore);
  const ownPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore)) * 100;
  assert.ok(spin > 0);
  assert.ok(seconds >= 0.4);
  // The meter must agree with the process's own account of its CPU (a busy loop gets less than a
  // core on a loaded machine, so no fixed share is asserted); /proc counts in 10 ms ticks.
  assert.ok(percent.me > 0 && percent.me <= 130, `me used ${percent.me}%`);
  assert.ok(
    Math.abs(percent.me - ownPercent) < 15,
    `meter ${percent.me}% vs process.cpuUsage ${ownPercent}%`,
  );
  assert.ok(percent.machineIdle >= 0 && percent.machineIdle <= 100);
});

test('memoryOf reads VmRSS and VmHWM of a live process and null for a gone one', () => {
  const memory = memoryOf(process.pid);
  assert.ok(memory.rssKiB > 1000 && memory.hwmKiB >= memory.rssKiB);
  assert.equal(memoryOf(2 ** 22 + 12345), null);
});

test('memoryMeter reports start, end and a peak at least as high as both, in MiB', async () => {
  const meter = memoryMeter(() => ({ me: process.pid }), 20);
  meter.start();
  const ballast = Buffer.alloc(32 * 1024 * 1024, 1);
  await new Promise((resolve) => setTimeout(resolve, 80));
  const { me } = meter.stop();
  assert.equal(ballast[0], 1);
  assert.ok(me.peakMiB >= me.startMiB && me.peakMiB >= me.endMiB);
  assert.ok(me.endMiB - me.startMiB > 20, `RSS grew by ${me.endMiB - me.startMiB} MiB`);
});

test("a process's start time is in the past and within its uptime", () => {
  const started = processStartEpochMs(process.pid);
  const uptimeMs = process.uptime() * 1000;
  assert.ok(started <= Date.now());
  assert.ok(Math.abs(Date.now() - uptimeMs - started) < 250);
});

test("a child's start time is when it was spawned, to the clock tick, not to the boot time's second", async () => {
  // Built on /proc/stat's whole-second btime, this was off by the boot time's fraction (0.96 s on one
  // machine), the same for every process: the worker drains were timed that much too long.
  const before = Date.now();
  const child = spawn('sleep', ['5'], { stdio: 'ignore' });
  const after = Date.now();
  try {
    const started = processStartEpochMs(child.pid);
    // Clock ticks are 10 ms, and /proc/uptime's hundredths another 10.
    assert.ok(started >= before - 30, `started ${before - started} ms before the spawn`);
    assert.ok(started <= after + 30, `started ${started - after} ms after the spawn returned`);
  } finally {
    child.kill();
  }
});
