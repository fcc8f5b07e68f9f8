#!/usr/bin/env node
// One Loki push as Promtail and Grafana Alloy send it: a protobuf PushRequest (grafana/loki
// pkg/push/push.proto) compressed with the snappy block format, holding `records` entries made from the
// same deterministic entries as the /api/logs scenarios (tools/bench/lib/payload.mjs), one stream per
// service and level, as a shipper's labels split them.
//
// Same facts as the /api/logs entries, in the shape Loki clients send them: Loki lines are text, so the
// HTTP fields ride in the line as logfmt (as a line Promtail tails from a file carries them) and the two
// ids are structured metadata. That is realistic, and it is not free: the stored message is ~118
// characters instead of 64 (more trigrams for the message index), and the stream labels are kept in
// attributes too (the mapping's `labels`), so an entry's stream value is ~351 bytes against ~291 for
// /api/logs (tools/bench/protocol-cost.mjs prints both). Putting every field in structured metadata
// instead would be realistic as well (Alloy's OTLP-to-Loki path does); this keeps what most shippers do.
//
//   node tools/bench/payloads/loki-protobuf.mjs <records> <out-file>
//
// Also importable: makeLokiProtobufBody(records) returns the body as a Buffer.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import protobuf from 'protobufjs/light.js';
import { compressSync } from 'snappy';
import { makeEntries } from '../lib/payload.mjs';

const PUSH_PROTO = protobuf.Root.fromJSON({
  nested: {
    logproto: {
      nested: {
        PushRequest: { fields: { streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 } } },
        StreamAdapter: {
          fields: {
            labels: { type: 'string', id: 1 },
            entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 },
          },
        },
        LabelPairAdapter: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
        EntryAdapter: {
          fields: {
            timestamp: { type: 'Timestamp', id: 1 },
            line: { type: 'string', id: 2 },
            structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
          },
        },
      },
    },
  },
});
const PushRequest = PUSH_PROTO.lookupType('logproto.PushRequest');

/** A bench entry as a Loki entry: the message and the request's facts as logfmt in the line. */
function toLokiEntry(entry, index) {
  const epochMs = Date.parse(entry.timestamp);
  const { http, request_id: requestId, user_id: userId } = entry.attributes;
  return {
    // Sub-millisecond digits as a real clock gives them; the store keeps milliseconds.
    timestamp: {
      seconds: Math.floor(epochMs / 1000),
      nanos: (epochMs % 1000) * 1_000_000 + (index % 1000) * 997,
    },
    line: `${entry.message} method=${http.method} path=${http.path} status=${http.status} duration_ms=${http.duration_ms}`,
    structuredMetadata: [
      { name: 'request_id', value: requestId },
      { name: 'user_id', value: String(userId) },
    ],
  };
}

/** The snappy-compressed protobuf PushRequest of `records` entries. */
export function makeLokiProtobufBody(records) {
  const streams = new Map();
  makeEntries(records).forEach((entry, index) => {
    const labels = `{service_name="${entry.service}", level="${entry.level}"}`;
    let stream = streams.get(labels);
    if (stream === undefined) {
      stream = { labels, entries: [] };
      streams.set(labels, stream);
    }
    stream.entries.push(toLokiEntry(entry, index));
  });
  const message = PushRequest.fromObject({ streams: [...streams.values()] });
  return compressSync(Buffer.from(PushRequest.encode(message).finish()));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [recordsArg, outFile] = process.argv.slice(2);
  const records = Number(recordsArg);
  if (!Number.isInteger(records) || records < 1 || outFile === undefined) {
    console.error('usage: node tools/bench/payloads/loki-protobuf.mjs <records> <out-file>');
    process.exit(2);
  }
  const body = makeLokiProtobufBody(records);
  writeFileSync(outFile, body);
  console.log(`${outFile}: ${records} entries, ${body.length} bytes (snappy protobuf PushRequest)`);
}
