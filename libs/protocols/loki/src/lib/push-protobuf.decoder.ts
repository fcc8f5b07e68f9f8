// Loki's protobuf push: a PushRequest (grafana/loki pkg/push/push.proto) compressed with the snappy
// *block* format (not the framed one), as Promtail, Grafana Alloy and winston-loki send it.
//
// Decoding by protobufjs (reflection; it generates a decoder per type at start) and the `snappy`
// package (napi-rs binding of the Rust snap crate): both well kept, and the fastest options in Node.
import { Reader, Root, Type } from 'protobufjs/light';
import { uncompressSync } from 'snappy';
import { parseLabelString } from './label-string';
import { LokiPushError, streamRef } from './loki-push.error';
import { LokiPushEntry, LokiPushRequest, LokiPushStream, MAX_LABELS_PER_STREAM } from './push-request';
import { checkStreamLabels, protoTimestampToEpochMs, structuredMetadataProblem } from './stream-checks';

// The fields of push.proto a push carries. StreamAdapter.hash (3) and EntryAdapter.parsed (4) are
// left out on purpose: Loki ignores them on the write path, and protobufjs skips unknown fields.
const PUSH_PROTO = Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
          },
        },
      },
    },
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
        EntryAdapter: {
          fields: {
            timestamp: { type: '.google.protobuf.Timestamp', id: 1 },
            line: { type: 'string', id: 2 },
            structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
          },
        },
      },
    },
  },
});
const PushRequestType: Type = PUSH_PROTO.lookupType('logproto.PushRequest');

/** protobufjs decodes int64 as a Long (the `long` package is installed) or, without it, a number. */
type Int64 = number | { toNumber(): number };

interface PushRequestMessage {
  streams: {
    labels: string;
    entries: {
      timestamp?: { seconds: Int64; nanos: number } | null;
      line: string;
      structuredMetadata: { name: string; value: string }[];
    }[];
  }[];
}

/**
 * The uncompressed length a snappy block announces: a little-endian base-128 varint of at most 32 bits
 * at its start. Null when the header is malformed.
 */
export function snappyUncompressedLength(block: Uint8Array): number | null {
  let length = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const byte = block[i];
    length += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return length <= 0xffffffff ? length : null;
  }
  return null;
}

function unsnappy(body: Uint8Array, maxBytes: number): Uint8Array {
  const length = snappyUncompressedLength(body);
  if (length === null) {
    throw new LokiPushError(
      400,
      "couldn't parse push request: the body is not snappy-compressed (bad header)",
    );
  }
  // Checked before decompressing: a few bytes can announce gigabytes.
  if (length > maxBytes) {
    throw new LokiPushError(413, `request body too large: ${length} bytes, limit: ${maxBytes} bytes`);
  }
  try {
    // Synchronous, like JSON.parse on the other routes: a 1,000-entry push (90 KB) takes about 0.15 ms,
    // while the async variant's hop through the libuv pool cost more than that, and on a loaded machine
    // (waiting for the pool thread to be scheduled) raised the median latency of a push by half.
    return uncompressSync(body, { asBuffer: true }) as Buffer;
  } catch (error) {
    throw new LokiPushError(
      400,
      `couldn't parse push request: invalid snappy data (${(error as Error).message})`,
    );
  }
}

function decodeMessage(bytes: Uint8Array): PushRequestMessage {
  try {
    return PushRequestType.decode(Reader.create(bytes)) as unknown as PushRequestMessage;
  } catch (error) {
    throw new LokiPushError(
      400,
      `couldn't parse push request: invalid protobuf PushRequest (${(error as Error).message})`,
    );
  }
}

function toNumber(value: Int64): number {
  return typeof value === 'number' ? value : value.toNumber();
}

function readStream(
  stream: PushRequestMessage['streams'][number],
  problems: string[],
): LokiPushStream | null {
  const name = stream.labels;
  const parsed = parseLabelString(name, MAX_LABELS_PER_STREAM);
  if (!parsed.ok) {
    problems.push(
      parsed.problem.startsWith(`more than ${MAX_LABELS_PER_STREAM} labels`)
        ? `entry for stream ${streamRef(name)} has more than ${MAX_LABELS_PER_STREAM} label names; limit ${MAX_LABELS_PER_STREAM}`
        : `Error parsing labels ${streamRef(name)} with error: ${parsed.problem}`,
    );
    return null;
  }
  const checked = checkStreamLabels(parsed.labels, name);
  if (checked.problems.length > 0) {
    problems.push(...checked.problems);
    return null;
  }
  const entries: LokiPushEntry[] = new Array(stream.entries.length);
  let ok = true;
  for (let i = 0; i < stream.entries.length; i++) {
    const entry = stream.entries[i];
    const timestamp = entry.timestamp;
    const epochMs =
      timestamp === null || timestamp === undefined
        ? null
        : protoTimestampToEpochMs(toNumber(timestamp.seconds), timestamp.nanos);
    const metadata =
      entry.structuredMetadata.length > 0
        ? entry.structuredMetadata.map(({ name: key, value }) => [key, value] as const)
        : undefined;
    const metadataProblem = metadata === undefined ? null : structuredMetadataProblem(metadata);
    if (epochMs === null) {
      problems.push(
        `stream ${streamRef(name)}: entry ${i}: ${
          timestamp ? 'timestamp is out of range (1970 to 9999, nanos 0-999999999)' : 'has no timestamp'
        }`,
      );
      ok = false;
    } else if (metadataProblem !== null) {
      problems.push(`stream ${streamRef(name)}: entry ${i} ${metadataProblem}`);
      ok = false;
    } else {
      entries[i] = { epochMs, line: entry.line, metadata };
    }
  }
  return ok ? { labels: checked.labels, name, entries } : null;
}

/**
 * Decodes a snappy-compressed protobuf push body. `maxBytes` bounds the uncompressed size (413 above
 * it, checked from the snappy header before decompressing). Throws LokiPushError (400) for bad snappy,
 * bad protobuf or any bad stream; nothing partial.
 */
export function decodeProtobufPush(body: Uint8Array, maxBytes: number): LokiPushRequest {
  const message = decodeMessage(unsnappy(body, maxBytes));
  const problems: string[] = [];
  const streams: LokiPushStream[] = [];
  for (const stream of message.streams) {
    const decoded = readStream(stream, problems);
    if (decoded !== null) streams.push(decoded);
  }
  if (problems.length > 0) throw LokiPushError.ofProblems(problems);
  return { streams };
}
