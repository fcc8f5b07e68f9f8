// Test-only: builds protobuf + snappy push bodies the way Promtail and Alloy do, from an independent
// description of push.proto (not the decoder's), so a decoder mistake cannot cancel itself out.
import { Root } from 'protobufjs/light';
import { compressSync } from 'snappy';

const root = Root.fromJSON({
  nested: {
    logproto: {
      nested: {
        PushRequest: {
          fields: {
            streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 },
            format: { type: 'string', id: 2 },
          },
        },
        StreamAdapter: {
          fields: {
            labels: { type: 'string', id: 1 },
            entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 },
            hash: { type: 'uint64', id: 3 },
          },
        },
        LabelPairAdapter: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
        EntryAdapter: {
          fields: {
            timestamp: { type: 'Timestamp', id: 1 },
            line: { type: 'string', id: 2 },
            structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
            parsed: { rule: 'repeated', type: 'LabelPairAdapter', id: 4 },
          },
        },
      },
    },
  },
});
const PushRequest = root.lookupType('logproto.PushRequest');

export interface TestEntry {
  timestamp?: { seconds: number; nanos: number };
  line: string;
  structuredMetadata?: { name: string; value: string }[];
}

export interface TestStream {
  labels: string;
  entries: TestEntry[];
  hash?: number;
}

/** The protobuf PushRequest bytes, uncompressed. */
export function encodePushProto(streams: TestStream[]): Uint8Array {
  return PushRequest.encode(PushRequest.fromObject({ streams })).finish();
}

/** A push body as Promtail sends it: snappy block format around the protobuf. */
export function encodePushBody(streams: TestStream[]): Buffer {
  return compressSync(Buffer.from(encodePushProto(streams)));
}
