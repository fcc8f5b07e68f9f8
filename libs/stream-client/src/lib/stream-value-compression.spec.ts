import { uncompressSync } from 'snappy';
import { STREAM_PAYLOAD_FIELD } from './stream-client.options';
import { SNAPPY_PAYLOAD_FIELD, streamFieldValue, uncompressPayload } from './stream-value-compression';

const MIN_BYTES = 16 * 1024;
const large = Buffer.from(
  JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ message: `entry ${i}`, service: 'api' }))),
);

describe('streamFieldValue', () => {
  it('leaves a value under the minimum as it is, and never asks for memory for it', () => {
    const memory = jest.fn((size: number) => Buffer.alloc(size));
    const small = Buffer.from('[4,1,"default",{"message":"one"}]');
    expect(streamFieldValue(small, MIN_BYTES, memory)).toEqual({ field: STREAM_PAYLOAD_FIELD, value: small });
    expect(streamFieldValue(large, 0, memory).field).toBe(STREAM_PAYLOAD_FIELD);
    expect(memory).not.toHaveBeenCalled();
  });

  it('writes a compressed value into the memory it is given, the same bytes as without it', () => {
    expect(large.length).toBeGreaterThanOrEqual(MIN_BYTES);
    const plain = streamFieldValue(large, MIN_BYTES);
    const frame = Buffer.alloc(64 * 1024);
    const memory = jest.fn((size: number) => frame.subarray(0, size));
    const kept = streamFieldValue(large, MIN_BYTES, memory);
    expect(kept.field).toBe(SNAPPY_PAYLOAD_FIELD);
    expect(memory).toHaveBeenCalledTimes(1);
    expect((kept.value as Buffer).buffer).toBe(frame.buffer);
    expect(kept.value).toEqual(plain.value);
    expect(uncompressSync(kept.value as Buffer)).toEqual(large);
    expect(uncompressPayload(kept.value as Buffer)).toEqual({ payload: large.toString() });
  });
});
