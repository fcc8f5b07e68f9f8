// Scenario 2: batches through nginx, POST /api/logs with 100 and 1,000 entries per request, as a JSON
// array and as gzip-compressed NDJSON. The worker keeps running, so the backlog grows while it lasts
// (RSS is sampled to show whether memory stays flat meanwhile). Runs of the variants are interleaved so
// the machine's noise spreads over all of them.
import { measuredLoad } from '../lib/measure.mjs';
import { runWrk } from '../lib/wrk.mjs';

/** One run of batch variant `name` through nginx; the floor scenario measures its server with the same run. */
export function batchRun(ctx, name, phase, { trackMemory = false } = {}) {
  const { opts, stack, bodies, bodyFiles } = ctx;
  const { format, entries } = bodies[name];
  return measuredLoad(ctx, {
    phase,
    durationS: opts.batchSeconds,
    entriesPerRequest: entries,
    connections: opts.batchConnections,
    trackMemory,
    load: (onSpawn) =>
      runWrk({
        url: `${stack.nginxUrl}/api/logs`,
        bodyFile: bodyFiles[name],
        format,
        connections: opts.batchConnections,
        durationS: opts.batchSeconds,
        onSpawn,
      }),
  });
}

export async function batchScenario(ctx) {
  const { opts, bodies } = ctx;
  const variants = Object.fromEntries(opts.batchVariants.map((name) => [name, []]));
  for (let i = 0; i < opts.runs; i += 1) {
    for (const name of opts.batchVariants) {
      variants[name].push(
        await batchRun(ctx, name, `2 batch ${name} ${i + 1}/${opts.runs}`, { trackMemory: true }),
      );
    }
  }
  return {
    connections: opts.batchConnections,
    durationS: opts.batchSeconds,
    variants: Object.fromEntries(
      Object.entries(variants).map(([name, runs]) => [
        name,
        {
          format: bodies[name].format,
          entriesPerRequest: bodies[name].entries,
          bodyBytes: bodies[name].body.length,
          runs,
        },
      ]),
    ),
  };
}
