import { namesV8Flag } from './v8-flag';

/**
 * A warning for a process whose V8 memory reducer is on, or null when the node command line turns it off
 * (`--no-memory-reducer`) or names it on purpose (`--memory-reducer` keeps it). Both apps log it at start.
 *
 * The reducer notices a falling allocation rate and runs extra full collections ("Mark-Compact (reduce)")
 * that shrink the old generation and release the frames and buffers they no longer reach; under the next
 * burst the process grows back by as much, which is the bench's "rise" (README "Memory"). Ours are
 * long-running servers sized for their peak, with the heap capped by --max-old-space-size, so the memory
 * it would give back is memory they need again.
 *
 * It has to be on node's command line: V8 11 (Node 20) builds the reducer with the heap and does not
 * read the flag again, so `v8.setFlagsFromString('--no-memory-reducer')` at start leaves it running. Until
 * 2026-12-05 both apps did just that, and in the bench ingest's reducer still ran its collections in the
 * drain after a batch run: ingest-1 went from 128 to 116 MiB and rose back +9% in the next run
 * (BENCHMARKS.md, 2026-12-05 08:55). NODE_OPTIONS refuses the flag, so every launcher puts it before the
 * script: `npm run stack`, `nx serve ingest`, `nx run worker`, compose, the Kubernetes Deployments, the
 * systemd units and the image's CMD.
 */
export function memoryReducerProblem(execArgv: readonly string[] = process.execArgv): string | null {
  if (namesV8Flag('memory-reducer', execArgv)) return null;
  return (
    "V8's memory reducer is on: an idle spell gives back heap the next burst takes again. Start node " +
    'with --no-memory-reducer before the script (NODE_OPTIONS refuses it; README "Memory"), or with ' +
    '--memory-reducer to keep it and silence this.'
  );
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

/**
 * The keeper's arrays of this tick, reachable from outside the function so the allocation cannot be
 * optimised away, and let go in a microtask right after, so they die at the next scavenge.
 */
let _lastKeeperArrays: unknown[][] = [];
const releaseKeeperArrays = () => {
  _lastKeeperArrays = [];
};

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
 * Called at start in main.ts, with the memory reducer off (on the command line: memoryReducerProblem), whose own full
 * collections would shrink the young generation too. The timer never keeps the process alive; the
 * returned function stops it.
 */
export function keepYoungGenerationThroughIdleSpells(): () => void {
  const timer = setInterval(() => {
    const arrays: unknown[][] = [];
    for (let i = 0; i < KEEPER_ARRAYS_PER_TICK; i++) arrays.push(new Array(KEEPER_ARRAY_SLOTS));
    _lastKeeperArrays = arrays;
    // Held until the next tick (250 ms), they outlived the scavenges of a loaded process (one every
    // ~15 ms under single entries) and were promoted: ~2 MB/s of old-generation garbage, a fifth of what
    // ingest promoted, and mark-compacts to collect it (BENCHMARKS.md, 2026-12-06 17:10).
    queueMicrotask(releaseKeeperArrays);
  }, KEEPER_TICK_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    _lastKeeperArrays = [];
  };
}
