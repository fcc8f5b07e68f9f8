/**
 * A warning when the V8 heap limit is below the most a process's settings let it hold at once, or null
 * when it fits. `holds` says what takes `worstCaseBytes` and `risk` what could then happen, in the
 * words of the settings that size it, so the warning names what to change: both apps log it at start.
 */
export function heapHeadroomProblem(
  worstCaseBytes: number,
  heapLimitBytes: number,
  { holds, risk }: { holds: string; risk: string },
): string | null {
  if (worstCaseBytes <= heapLimitBytes) return null;
  const mib = (bytes: number) => Math.round(bytes / 1048576);
  return (
    `the V8 heap limit (${mib(heapLimitBytes)} MiB) is below ~${mib(worstCaseBytes)} MiB, what ${holds}; ` +
    `${risk}. Raise --max-old-space-size in NODE_OPTIONS or lower those settings.`
  );
}
