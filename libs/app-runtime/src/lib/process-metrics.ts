import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * How often the event-loop delay histogram behind `nodejs_eventloop_lag_*` samples, in ms. prom-client's
 * default (10) is a repeating libuv timer that wakes an idle process 100 times a second; on the 2-core
 * VMs measured here a wake-up costs ~150-190 µs of CPU, so each process burnt ~14 ms/s doing nothing
 * and, under a paced load, woke between requests it could otherwise have slept through (BENCHMARKS.md,
 * 2026-12-04 21:00). Every 100 ms still records any stall of 100 ms or more, and a shorter one in
 * proportion to its length, which is what the metric is read for.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/** Node's process metrics (CPU, memory, heap spaces, handles, GC, event-loop delay) in `registry`. */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
}
