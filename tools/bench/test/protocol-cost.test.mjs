import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeSyslogChunks, SYSLOG_MESSAGES } from '../payloads/syslog-tcp.mjs';

const harness = join(dirname(fileURLToPath(import.meta.url)), '../protocol-cost.mjs');

test('the syslog frames of the cost harness are octet-counted RFC 5424, cut into 64 KiB reads', () => {
  const chunks = makeSyslogChunks();
  assert.ok(chunks.length > 1);
  assert.ok(chunks.slice(0, -1).every((chunk) => chunk.length === 64 * 1024));
  const stream = Buffer.concat(chunks).toString();
  let frames = 0;
  for (let at = 0; at < stream.length; frames++) {
    const space = stream.indexOf(' ', at);
    const length = Number(stream.slice(at, space));
    assert.match(stream.slice(space + 1, space + 1 + length), /^<14>1 \S+ bench-host bench /);
    at = space + 1 + length;
  }
  assert.equal(frames, SYSLOG_MESSAGES);
});

test(
  'the cost harness runs every intake through the ingest code and reports a row for each',
  { timeout: 120_000 },
  () => {
    const dump = mkdtempSync(join(tmpdir(), 'protocol-cost-'));
    const result = spawnSync(
      process.execPath,
      [harness, '--rounds', '1', '--warmup', '0', '--requests', '1', '--concurrency', '1'],
      { encoding: 'utf8', env: { ...process.env, PROTOCOL_COST_DUMP: dump } },
    );
    assert.equal(result.status, 0, result.stderr);
    for (const name of [
      'api-json-1000',
      'api-ndjson-gzip-1000',
      'otlp-protobuf-1000',
      'loki-protobuf-1000',
      'es-bulk-1000',
      'es-bulk-1000-searched',
      'syslog-tcp-1000',
    ]) {
      const row = result.stdout.split('\n').find((line) => line.startsWith(`| ${name} |`));
      assert.ok(row, `no row for ${name} in:\n${result.stdout}`);
      const cpu = Number(row.split('|')[3].trim().split(' ')[0]);
      assert.ok(cpu > 0, `${name}: CPU µs/entry ${cpu}`);
      // The harness itself checks every entry was queued; the dump holds the stream values.
      const values = readFileSync(join(dump, `${name}.ndjson`), 'utf8')
        .trim()
        .split('\n');
      assert.equal(values.length, 1000);
      // One line per entry, its fields as a chunk carries them (timestamp first, receivedAt zeroed).
      const fields = JSON.parse(values[0]);
      assert.equal(fields.length, 10, 'the ten fields of a chunk entry');
      assert.ok(
        Number.isSafeInteger(fields[0]) && fields[1] === 0,
        `timestamp, then receivedAt 0: ${values[0]}`,
      );
    }
    // A JSON array and gzip NDJSON of the same entries, both queued as sent, store the very same entries.
    assert.equal(
      readFileSync(join(dump, 'api-json-1000.ndjson'), 'utf8'),
      readFileSync(join(dump, 'api-ndjson-gzip-1000.ndjson'), 'utf8'),
    );
    // The one-pass mapping and the general search store the very same entries.
    assert.equal(
      readFileSync(join(dump, 'es-bulk-1000.ndjson'), 'utf8'),
      readFileSync(join(dump, 'es-bulk-1000-searched.ndjson'), 'utf8'),
    );
  },
);
