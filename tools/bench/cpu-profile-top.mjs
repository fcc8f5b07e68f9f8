#!/usr/bin/env node
// Top functions by self time of a V8 .cpuprofile (node --cpu-prof), with the share of the profile's
// samples, so a profile of tools/bench/protocol-cost.mjs or of ingest reads in a terminal:
//   node tools/bench/cpu-profile-top.mjs <file.cpuprofile> [count]
import { readFileSync } from 'node:fs';

const [file, countArg = '25'] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node tools/bench/cpu-profile-top.mjs <file.cpuprofile> [count]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const self = new Map();
let total = 0;
for (const [id, count] of hits) {
  const { callFrame } = byId.get(id);
  const file = callFrame.url.replace(/^.*\/(node_modules|apps|libs)\//, '$1/');
  const key = `${callFrame.functionName || '(anonymous)'} ${file}:${callFrame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + count);
  total += count;
}
const idle = [...self].filter(([key]) => key.startsWith('(idle)')).reduce((sum, [, n]) => sum + n, 0);
const busy = total - idle;
process.stdout.write(`${busy} busy samples (idle left out)\n`);
for (const [key, count] of [...self]
  .filter(([k]) => !k.startsWith('(idle)'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(countArg))) {
  process.stdout.write(`${((count / busy) * 100).toFixed(1).padStart(5)}%  ${key}\n`);
}
