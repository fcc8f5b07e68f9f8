import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeEntries } from '../lib/payload.mjs';
import { makeBulkBody } from '../payloads/es-bulk.mjs';

test('the bulk body holds one create action and one ECS document per bench entry, same data', () => {
  const lines = makeBulkBody(50).split('\n');
  assert.equal(lines.pop(), '', 'the body ends with a newline, as Elasticsearch requires');
  assert.equal(lines.length, 100);
  const entries = makeEntries(50);
  for (let i = 0; i < 50; i++) {
    assert.deepEqual(JSON.parse(lines[2 * i]), { create: { _index: 'bench-logs' } });
    const document = JSON.parse(lines[2 * i + 1]);
    assert.equal(document['@timestamp'], entries[i].timestamp);
    assert.equal(document.log.level, entries[i].level);
    assert.equal(document.service.name, entries[i].service);
    assert.equal(document.message, entries[i].message);
    assert.deepEqual(document.http, entries[i].attributes.http);
  }
});

test('the command writes the body to the named file and refuses bad arguments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-bulk-'));
  try {
    const script = new URL('../payloads/es-bulk.mjs', import.meta.url).pathname;
    const out = join(dir, 'body.ndjson');
    execFileSync(process.execPath, [script, '20', out], { stdio: 'pipe' });
    assert.equal(readFileSync(out, 'utf8'), makeBulkBody(20));
    assert.throws(() => execFileSync(process.execPath, [script, 'many', out], { stdio: 'pipe' }), /usage/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
