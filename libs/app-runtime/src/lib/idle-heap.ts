import { turnV8FlagOffUnlessNamed } from './v8-flag';

/**
 * Turns V8's memory reducer off, so a process keeps the heap its load needed through an idle spell
 * instead of giving it back and taking it again with the next burst (README "Memory"). The reducer
 * notices a falling allocation rate and runs extra full collections that shrink the old generation
 * and release the frames and buffers they no longer reach; under the next burst the process grows
 * back by as much (ingest ~10-17 MiB, a rise of 10-15% in the bench, BENCHMARKS.md 2026-12-03). Ours
 * are long-running servers sized for their peak, with the heap capped by --max-old-space-size, so the
 * memory it would give back is memory they need again.
 *
 * Called first in main.ts. NODE_OPTIONS refuses V8 GC flags, so this is the one place for every
 * launcher (npm run stack, compose, Kubernetes, systemd); a node command line that names the flag
 * (`--memory-reducer` to keep it) wins. Returns whether it turned the reducer off.
 */
export function keepHeapThroughIdleSpells(execArgv: readonly string[] = process.execArgv): boolean {
  return turnV8FlagOffUnlessNamed('memory-reducer', execArgv);
}

/**
 * V8 counts less than 1,000 bytes per millisecond as a low allocation rate (`kLowAllocationThroughput`
 * in its heap.cc); the keeper below allocates ~2,000 on its own, with room for timers a busy machine
 * runs late: five arrays of 96 KiB (each young-generation sized; V8 puts objects over 128 KiB in a
 * space of their own) four times a second. Fewer, larger ticks than that would wake an idle process less
 * often still; at 20 a second the wake-ups cost more than the allocation.
 */
const KEEPER_TICK_MS = 250;
const KEEPER_ARRAYS_PER_TICK = 5;
/** Array slots of 8 bytes: 96 KiB each. */
const KEEPER_ARRAY_SLOTS = (96 * 1024) / 8;

/** The keeper's last arrays: held until the next tick, so the allocation cannot be optimised away. */
let _lastKeeperArrays: unknown[][] = [];

/**
 * Keeps V8's young generation at its size through idle spells (README "Memory"). When V8 collects the
 * young generation while the process allocates less than ~1 MB/s it gives one of its two semi-spaces
 * back (no flag but `--predictable` turns that off), and takes it again under the next burst: 4 MiB of
 * ingest's RSS and 8 MiB of the worker's, regrown within a second of the load (BENCHMARKS.md,
 * 2026-12-05 03:00). So the process allocates ~2 MB/s of short-lived garbage on its own, which dies at
 * the next scavenge: while idle, a scavenge of a nearly empty young generation every few seconds and four
 * wake-ups a second, within the noise of an idle node's own CPU (measured in a bare node). Under load
 * the process allocates far more than that itself.
 *
 * Called at start in main.ts, with the memory reducer off (keepHeapThroughIdleSpells), whose own full
 * collections would shrink the young generation too. The timer never keeps the process alive; the
 * returned function stops it.
 */
export function keepYoungGenerationThroughIdleSpells(): () => void {
  const timer = setInterval(() => {
    const arrays: unknown[][] = [];
    for (let i = 0; i < KEEPER_ARRAYS_PER_TICK; i++) arrays.push(new Array(KEEPER_ARRAY_SLOTS));
    _lastKeeperArrays = arrays;
  }, KEEPER_TICK_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    _lastKeeperArrays = [];
  };
}
