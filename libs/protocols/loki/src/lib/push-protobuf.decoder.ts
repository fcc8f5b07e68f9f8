// Loki's protobuf push: a PushRequest (grafana/loki pkg/push/push.proto) compressed with the snappy
// *block* format (not the framed one), as Promtail, Grafana Alloy and winston-loki send it.
//
// Decompression by the `snappy` package (napi-rs binding of the Rust snap crate: well kept, and the
// fastest option in Node; ~0.15 ms for a 1,000-entry push). The protobuf is read in one pass with
// protobufjs' Reader primitives (varints, lengths) straight into the decoded push, as
// libs/protocols/otlp does: decoding through protobufjs' reflected types built an object per entry, per
// Timestamp (with a Long for its seconds) and per structured-metadata pair, and read short strings by
// concatenating 8-character pieces, all garbage kept alive across the request; that made a Loki push
// cost ~60% more ingest CPU per entry than POST /api/logs (tools/bench/protocol-cost.mjs).
//
// The messages and field numbers of push.proto that a push carries:
//   PushRequest      { repeated StreamAdapter streams = 1; }
//   StreamAdapter    { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
//   EntryAdapter     { Timestamp timestamp = 1; string line = 2;
//                      repeated LabelPairAdapter structuredMetadata = 3; repeated LabelPairAdapter parsed = 4; }
//   LabelPairAdapter { string name = 1; string value = 2; }
//   Timestamp        { int64 seconds = 1; int32 nanos = 2; }   (google.protobuf.Timestamp)
// `hash` and `parsed` are skipped on purpose (Loki ignores them on the write path), as is any unknown
// field. A repeated singular field keeps its last value, as protobuf decoders do.
import { ShortTextCache } from '@logpipe/protocol-wire-text';
import { Reader } from 'protobufjs/light';
import { uncompressSync } from 'snappy';
import { LabelPair, parseLabelString } from './label-string';
import { LokiPushError, streamRef } from './loki-push.error';
import { LokiPushEntry, LokiPushRequest, LokiPushStream, MAX_LABELS_PER_STREAM } from './push-request';
import { checkStreamLabels, protoTimestampToEpochMs, structuredMetadataProblem } from './stream-checks';

const VARINT = 0;
const LEN = 2;
const WIRE_NAMES = ['VARINT', 'I64', 'LEN', 'SGROUP', 'EGROUP', 'I32'];
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A protobuf the decoder cannot read; decodeProtobufPush words it as Loki's 400. */
class ProtobufError extends Error {}

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

function expectWire(tag: number, wire: number, field: string): void {
  if ((tag & 7) !== wire) {
    throw new ProtobufError(
      `${field} has wire type ${WIRE_NAMES[tag & 7] ?? tag & 7}, expected ${WIRE_NAMES[wire]}`,
    );
  }
}

/** The end offset of the length-delimited field whose length is at the reader's position. */
function endOf(reader: Reader, field: string): number {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > reader.len) {
    throw new ProtobufError(
      `${field} is truncated: ${length} bytes announced, ${reader.len - reader.pos} left`,
    );
  }
  return end;
}

function checkEnd(reader: Reader, end: number, field: string): void {
  if (reader.pos !== end) throw new ProtobufError(`${field} overruns its length`);
}

/**
 * Bytes as text, strictly UTF-8 (a replacement character would store something the client never sent).
 * ASCII, by far the common case, is read by one native call into a flat string.
 */
function strictUtf8(bytes: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if (bytes[i] >= 0x80) return STRICT_UTF8.decode(bytes.subarray(start, end));
  }
  return bytes.toString('latin1', start, end);
}

// Label and structured-metadata names and short values repeat from entry to entry: looked up, not decoded
// again (@logpipe/protocol-wire-text). Only text strictUtf8 accepted is ever in the table.
const texts = new ShortTextCache(strictUtf8);

/** A string field (see strictUtf8); invalid UTF-8 is a ProtobufError naming the field. */
function readText(reader: Reader, field: string): string {
  const end = endOf(reader, field);
  const start = reader.pos;
  reader.pos = end;
  try {
    return texts.text(reader.buf as Buffer, start, end);
  } catch {
    throw new ProtobufError(`${field} is not valid UTF-8`);
  }
}

/** An int64 varint as a number (exact up to 2^53, which covers every timestamp Logpipe can store). */
function int64Number(reader: Reader): number {
  const buf = reader.buf;
  let pos = reader.pos;
  let low = 0;
  let high = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= reader.len) throw new ProtobufError('a varint is truncated');
    const byte = buf[pos++];
    const bits = byte & 0x7f;
    if (i < 4) low |= bits << (7 * i);
    else if (i === 4) {
      low |= bits << 28;
      high = bits >>> 4;
    } else high |= bits << (7 * i - 32);
    if (byte < 0x80) {
      reader.pos = pos;
      // Two's complement across the two 32-bit halves.
      return high < 0 || high & 0x80000000
        ? -((~high >>> 0) * 4_294_967_296 + (~low >>> 0) + 1)
        : (high >>> 0) * 4_294_967_296 + (low >>> 0);
    }
  }
  throw new ProtobufError('a varint is longer than 10 bytes');
}

/** google.protobuf.Timestamp as epoch ms, or null when out of range. */
function readTimestamp(reader: Reader, end: number): number | null {
  let seconds = 0;
  let nanos = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1:
        expectWire(tag, VARINT, 'Timestamp.seconds');
        seconds = int64Number(reader);
        break;
      case 2:
        expectWire(tag, VARINT, 'Timestamp.nanos');
        nanos = reader.int32();
        break;
      default:
        reader.skipType(tag & 7);
    }
  }
  checkEnd(reader, end, 'Timestamp');
  return protoTimestampToEpochMs(seconds, nanos);
}

function readLabelPair(reader: Reader, end: number): LabelPair {
  let name = '';
  let value = '';
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1:
        expectWire(tag, LEN, 'LabelPairAdapter.name');
        name = readText(reader, 'LabelPairAdapter.name');
        break;
      case 2:
        expectWire(tag, LEN, 'LabelPairAdapter.value');
        value = readText(reader, 'LabelPairAdapter.value');
        break;
      default:
        reader.skipType(tag & 7);
    }
  }
  checkEnd(reader, end, 'LabelPairAdapter');
  return [name, value];
}

/** What readEntry found besides the entry: one object for the whole decoder, not one per entry. */
const entryCheck: { timestamp: number | null | undefined; metadataProblem: string | null } = {
  timestamp: undefined,
  metadataProblem: null,
};

/**
 * One EntryAdapter. Its timestamp (undefined: absent, null: out of range) and the problem of its
 * structured metadata (or null) are left in `entryCheck` for the stream to report.
 */
function readEntry(reader: Reader, end: number): LokiPushEntry {
  let timestamp: number | null | undefined;
  let line = '';
  let metadata: LabelPair[] | undefined;
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1:
        expectWire(tag, LEN, 'EntryAdapter.timestamp');
        timestamp = readTimestamp(reader, endOf(reader, 'EntryAdapter.timestamp'));
        break;
      case 2:
        expectWire(tag, LEN, 'EntryAdapter.line');
        line = readText(reader, 'EntryAdapter.line');
        break;
      case 3:
        expectWire(tag, LEN, 'EntryAdapter.structuredMetadata');
        (metadata ??= []).push(readLabelPair(reader, endOf(reader, 'EntryAdapter.structuredMetadata')));
        break;
      default:
        reader.skipType(tag & 7);
    }
  }
  checkEnd(reader, end, 'EntryAdapter');
  entryCheck.timestamp = timestamp;
  entryCheck.metadataProblem = metadata === undefined ? null : structuredMetadataProblem(metadata);
  return { epochMs: timestamp ?? 0, line, metadata };
}

/**
 * One StreamAdapter. Its entries are decoded after its labels are known (the labels name the stream in
 * every problem, and protobuf does not promise they come first); a protobuf error anywhere wins over
 * the stream's own problems, as when the whole message was decoded first.
 */
function readStream(reader: Reader, end: number, problems: string[]): LokiPushStream | null {
  let name = '';
  // Start and end offsets of the entries, pairwise.
  const ranges: number[] = [];
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1:
        expectWire(tag, LEN, 'StreamAdapter.labels');
        name = readText(reader, 'StreamAdapter.labels');
        break;
      case 2: {
        expectWire(tag, LEN, 'StreamAdapter.entries');
        const entryEnd = endOf(reader, 'StreamAdapter.entries');
        ranges.push(reader.pos, entryEnd);
        reader.pos = entryEnd;
        break;
      }
      default:
        reader.skipType(tag & 7);
    }
  }
  checkEnd(reader, end, 'StreamAdapter');
  const streamProblems = labelProblems(name);
  const entries: LokiPushEntry[] = new Array(ranges.length / 2);
  let ok = streamProblems.labels !== null;
  for (let i = 0; i < entries.length; i++) {
    reader.pos = ranges[2 * i];
    const entry = readEntry(reader, ranges[2 * i + 1]);
    const { timestamp, metadataProblem } = entryCheck;
    if (streamProblems.labels === null) continue;
    if (timestamp === null || timestamp === undefined) {
      problems.push(
        `stream ${streamRef(name)}: entry ${i}: ${
          timestamp === null
            ? 'timestamp is out of range (1970 to 9999, nanos 0-999999999)'
            : 'has no timestamp'
        }`,
      );
      ok = false;
    } else if (metadataProblem !== null) {
      problems.push(`stream ${streamRef(name)}: entry ${i} ${metadataProblem}`);
      ok = false;
    } else {
      entries[i] = entry;
    }
  }
  reader.pos = end;
  if (streamProblems.labels === null) {
    problems.push(...streamProblems.problems);
    return null;
  }
  return ok ? { labels: streamProblems.labels, name, entries } : null;
}

/** The stream's labels as Loki checks them, or its problems. */
function labelProblems(name: string): { labels: LabelPair[] | null; problems: string[] } {
  const parsed = parseLabelString(name, MAX_LABELS_PER_STREAM);
  if (!parsed.ok) {
    return {
      labels: null,
      problems: [
        parsed.problem.startsWith(`more than ${MAX_LABELS_PER_STREAM} labels`)
          ? `entry for stream ${streamRef(name)} has more than ${MAX_LABELS_PER_STREAM} label names; limit ${MAX_LABELS_PER_STREAM}`
          : `Error parsing labels ${streamRef(name)} with error: ${parsed.problem}`,
      ],
    };
  }
  const checked = checkStreamLabels(parsed.labels, name);
  return checked.problems.length > 0
    ? { labels: null, problems: checked.problems }
    : { labels: checked.labels, problems: [] };
}

/**
 * Decodes a snappy-compressed protobuf push body. `maxBytes` bounds the uncompressed size (413 above
 * it, checked from the snappy header before decompressing). Throws LokiPushError (400) for bad snappy,
 * bad protobuf or any bad stream; nothing partial.
 */
export function decodeProtobufPush(body: Uint8Array, maxBytes: number): LokiPushRequest {
  const reader = Reader.create(unsnappy(body, maxBytes));
  const problems: string[] = [];
  const streams: LokiPushStream[] = [];
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag >>> 3 === 1) {
        expectWire(tag, LEN, 'PushRequest.streams');
        const decoded = readStream(reader, endOf(reader, 'PushRequest.streams'), problems);
        if (decoded !== null) streams.push(decoded);
      } else {
        reader.skipType(tag & 7);
      }
    }
  } catch (error) {
    // ProtobufError, or protobufjs' Reader's own error for a varint or skipped field cut short.
    throw new LokiPushError(
      400,
      `couldn't parse push request: invalid protobuf PushRequest (${(error as Error).message})`,
    );
  }
  if (problems.length > 0) throw LokiPushError.ofProblems(problems);
  return { streams };
}
