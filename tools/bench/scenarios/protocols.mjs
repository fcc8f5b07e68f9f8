// Scenario "protocols": the other ways in (OTLP/HTTP protobuf, Loki push protobuf + snappy,
// Elasticsearch bulk), each 1,000 entries a request through nginx, beside POST /api/logs json-1000 in
// the same run; the worker keeps storing, as in scenario 2. Each protocol's body is written by the
// script in tools/bench/payloads/ with the real serializer, from the same entries as payload.mjs.
//
// The variants run in rounds (api, otlp, loki, es, rotated by a place each round: roundOrder), and one
// more /api/logs run closes the last round, so every protocol run lies between two /api/logs runs. A
// shared machine's speed drifts within a run (one run here: every variant at ~35k entries/s for three
// rounds, then ~25k for the last two), so medians taken per variant compare runs made at different
// speeds; figures.mjs compares each protocol run with the /api/logs rate interpolated to its time
// between its two neighbours instead (pairedOfApi).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_YARDSTICK } from '../lib/figures.mjs';
import { measuredLoad } from '../lib/measure.mjs';
import { runWrk } from '../lib/wrk.mjs';

export const PROTOCOL_ENTRIES = 1000;

/** The variants: `api-json` is the yardstick; every other one is compared with it. */
export const PROTOCOL_VARIANTS = [
  { name: PROTOCOL_YARDSTICK, path: '/api/logs', format: 'json' },
  { name: 'otlp-protobuf-1000', path: '/v1/logs', format: 'protobuf', script: 'otlp-protobuf.mjs' },
  { name: 'loki-protobuf-1000', path: '/loki/api/v1/push', format: 'protobuf', script: 'loki-protobuf.mjs' },
  { name: 'es-bulk-1000', path: '/elasticsearch/_bulk', format: 'ndjson', script: 'es-bulk.mjs' },
];

/**
 * The variants of round `round`, rotated by one place a round: each variant takes every place in turn,
 * so none is always the one that follows, say, the drain of the heaviest rows.
 */
export function roundOrder(round) {
  const shift = round % PROTOCOL_VARIANTS.length;
  return [...PROTOCOL_VARIANTS.slice(shift), ...PROTOCOL_VARIANTS.slice(0, shift)];
}

/** Writes each protocol's body file with its payload script; the /api/logs body comes from the batch bodies. */
export function protocolBodies(ctx) {
  const { bodies, bodyFiles, runDir, repoRoot } = ctx;
  const out = {};
  for (const variant of PROTOCOL_VARIANTS) {
    if (variant.script === undefined) {
      const body = bodies[`json-${PROTOCOL_ENTRIES}`];
      out[variant.name] = {
        ...variant,
        entries: body.entries,
        bytes: body.body.length,
        file: bodyFiles[`json-${PROTOCOL_ENTRIES}`],
      };
      continue;
    }
    const file = join(runDir, `${variant.name}.body`);
    const script = join(repoRoot, 'tools/bench/payloads', variant.script);
    const result = spawnSync(process.execPath, [script, String(PROTOCOL_ENTRIES), file], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(`${variant.script} failed (${result.status}): ${result.stderr || result.stdout}`);
    }
    out[variant.name] = { ...variant, entries: PROTOCOL_ENTRIES, bytes: readFileSync(file).length, file };
  }
  return out;
}

export async function protocolsScenario(ctx) {
  const { opts, stack } = ctx;
  const bodies = protocolBodies(ctx);
  const runs = Object.fromEntries(PROTOCOL_VARIANTS.map(({ name }) => [name, []]));
  const rounds = opts.protocolRounds;
  const measure = async (name, label) => {
    const body = bodies[name];
    runs[name].push(
      await measuredLoad(ctx, {
        phase: `5 protocols ${name} ${label}`,
        durationS: opts.protocolSeconds,
        entriesPerRequest: body.entries,
        connections: opts.batchConnections,
        trackMemory: true,
        load: (onSpawn) =>
          runWrk({
            url: `${stack.nginxUrl}${body.path}`,
            bodyFile: body.file,
            format: body.format,
            connections: opts.batchConnections,
            durationS: opts.protocolSeconds,
            onSpawn,
          }),
      }),
    );
  };
  for (let i = 0; i < rounds; i += 1) {
    for (const { name } of roundOrder(i)) await measure(name, `${i + 1}/${rounds}`);
  }
  await measure(PROTOCOL_YARDSTICK, 'closing');
  return {
    rounds,
    connections: opts.batchConnections,
    durationS: opts.protocolSeconds,
    variants: Object.fromEntries(
      PROTOCOL_VARIANTS.map(({ name }) => [
        name,
        {
          format: bodies[name].format,
          path: bodies[name].path,
          entriesPerRequest: bodies[name].entries,
          bodyBytes: bodies[name].bytes,
          runs: runs[name],
        },
      ]),
    ),
  };
}
