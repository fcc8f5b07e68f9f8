// Writes one Elasticsearch bulk body (NDJSON action/source pairs) of N realistic documents:
//   node tools/bench/payloads/es-bulk.mjs <docs> <out-file>
// The documents are the bench's own entries (tools/bench/lib/payload.mjs, same seed, same sizes) in
// the ECS shape Filebeat and Elastic's logging libraries write, so that the Elasticsearch scenario
// sends the same log data as the /api/logs scenarios and differs only by the protocol (the stored
// entries come out the same size: ~295 bytes of stream value each against ~291, see
// tools/bench/protocol-cost.mjs).
import { writeFileSync } from 'node:fs';
import { makeEntries } from '../lib/payload.mjs';

/** A bench entry as an ECS document: @timestamp, log.level, service.name, message, the rest as fields. */
export function toEcsDocument(entry) {
  const { request_id, user_id, http } = entry.attributes;
  return {
    '@timestamp': entry.timestamp,
    log: { level: entry.level },
    service: { name: entry.service },
    message: entry.message,
    request_id,
    user: { id: user_id },
    http,
  };
}

/** The index every action names, so the body needs no index in the URL (POST /elasticsearch/_bulk). */
export const BENCH_INDEX = 'bench-logs';

/** The bulk body of `count` documents: a `create` action line and the source line each. */
export function makeBulkBody(count) {
  const action = JSON.stringify({ create: { _index: BENCH_INDEX } });
  const lines = [];
  for (const entry of makeEntries(count)) {
    lines.push(action, JSON.stringify(toEcsDocument(entry)));
  }
  return `${lines.join('\n')}\n`;
}

function main(argv) {
  const [docsArg, outFile] = argv;
  const docs = Number(docsArg);
  if (!Number.isInteger(docs) || docs < 1 || outFile === undefined) {
    process.stderr.write('usage: node tools/bench/payloads/es-bulk.mjs <docs> <out-file>\n');
    process.exit(2);
  }
  const body = makeBulkBody(docs);
  writeFileSync(outFile, body);
  process.stdout.write(
    `${outFile}: ${docs} documents, ${Buffer.byteLength(body)} bytes; POST it to /elasticsearch/_bulk with Content-Type: application/x-ndjson\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
