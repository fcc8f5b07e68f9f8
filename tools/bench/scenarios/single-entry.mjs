// Scenario 1: single-entry POST /api/log through nginx, wrk with 64 connections.
import { measuredLoad } from '../lib/measure.mjs';
import { runWrk } from '../lib/wrk.mjs';

export async function singleEntryScenario(ctx) {
  const { opts, stack, bodyFiles } = ctx;
  const runs = [];
  for (let i = 0; i < opts.runs; i += 1) {
    runs.push(
      await measuredLoad(ctx, {
        phase: `1 single-entry ${i + 1}/${opts.runs}`,
        durationS: opts.loadSeconds,
        entriesPerRequest: 1,
        connections: opts.singleConnections,
        load: (onSpawn) =>
          runWrk({
            url: `${stack.nginxUrl}/api/log`,
            bodyFile: bodyFiles.single,
            format: 'json',
            connections: opts.singleConnections,
            durationS: opts.loadSeconds,
            onSpawn,
          }),
      }),
    );
  }
  return { connections: opts.singleConnections, durationS: opts.loadSeconds, runs };
}
