// Scenario 1: single-entry POST /api/log through nginx, wrk with 64 connections.
import { measuredLoad } from '../lib/measure.mjs';
import { runWrk } from '../lib/wrk.mjs';

/** One single-entry run through nginx; the floor scenario measures its server with the same run. */
export function singleEntryRun(ctx, phase) {
  const { opts, stack, bodyFiles } = ctx;
  return measuredLoad(ctx, {
    phase,
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
  });
}

/**
 * `inTurn(ctx, logpipeRun)`: runs Logpipe's runs with another system's in between and returns
 * `{ runs, reference }` (reference.mjs's singleEntryInTurnWithReference); without it, Logpipe's runs alone.
 */
export async function singleEntryScenario(ctx, { inTurn } = {}) {
  const { opts } = ctx;
  const logpipeRun = (i) => singleEntryRun(ctx, `1 single-entry ${i + 1}/${opts.runs}`);
  const base = { connections: opts.singleConnections, durationS: opts.loadSeconds };
  if (inTurn) {
    const { runs, reference } = await inTurn(ctx, logpipeRun);
    return { ...base, runs, reference };
  }
  const runs = [];
  for (let i = 0; i < opts.runs; i += 1) runs.push(await logpipeRun(i));
  return { ...base, runs };
}
