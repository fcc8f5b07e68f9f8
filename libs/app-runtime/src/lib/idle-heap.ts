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
