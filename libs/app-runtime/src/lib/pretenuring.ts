import { turnV8FlagOffUnlessNamed } from './v8-flag';

/**
 * Turns V8's allocation-site pretenuring off, so ingest's per-request objects are always born in the
 * young generation (README "Memory"). V8 counts, per allocation site, how many of its objects survive a
 * scavenge, and when most do it has that site allocate straight into the old generation from then on.
 * Ingest's requests live a few milliseconds, but while a process warms up under load (code not yet
 * optimised, answers slow) they live long enough to look long-lived; in about a third of the processes
 * started under single-entry load V8 then pretenured request objects for the rest of the process's life:
 * the old generation filled with them, a mark-compact ran four times a second instead of once, scavenges
 * took 2-4 ms instead of 0.5, and a request cost ~100 µs of CPU instead of ~62, at 120% of a core
 * (BENCHMARKS.md, 2026-12-04). Off, 0 of 26 processes fell into that; on, 7 of 20. Batches of 1,000 cost
 * the same either way, within the noise.
 *
 * Called first in ingest's main.ts (NODE_OPTIONS refuses the flag); a node command line that names it
 * (`--allocation-site-pretenuring` to keep it) wins. Returns whether it turned pretenuring off.
 */
export function keepRequestObjectsYoung(execArgv: readonly string[] = process.execArgv): boolean {
  return turnV8FlagOffUnlessNamed('allocation-site-pretenuring', execArgv);
}
