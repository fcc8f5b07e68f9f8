import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { headersFor, makeBodies, makeEntries, makeEntry } from '../lib/payload.mjs';

test('entries are about 300 bytes with the fields of a realistic log entry, and the same every run', () => {
  const entries = makeEntries(200);
  for (const entry of entries) {
    const size = Buffer.byteLength(JSON.stringify(entry));
    assert.ok(size >= 270 && size <= 340, `entry of ${size} bytes`);
    assert.deepEqual(Object.keys(entry), ['timestamp', 'level', 'service', 'message', 'attributes']);
    assert.equal(typeof entry.attributes.http, 'object');
    assert.match(entry.timestamp, /Z$/);
  }
  assert.deepEqual(makeEntries(3), makeEntries(3));
  assert.deepEqual(JSON.parse(makeBodies({ batchSizes: [] }).single.body), makeEntry(0));
});

test('batch bodies hold the stated number of entries, as a JSON array and as gzip NDJSON', () => {
  const bodies = makeBodies({ batchSizes: [100] });
  assert.equal(JSON.parse(bodies['json-100'].body).length, 100);
  const lines = gunzipSync(bodies['ndjson-gzip-100'].body).toString().trim().split('\n');
  assert.equal(lines.length, 100);
  assert.deepEqual(
    lines.map((line) => JSON.parse(line)),
    JSON.parse(bodies['json-100'].body),
  );
  assert.deepEqual(headersFor('ndjson-gzip'), {
    'content-type': 'application/x-ndjson',
    'content-encoding': 'gzip',
  });
  assert.deepEqual(headersFor('json'), { 'content-type': 'application/json' });
});
