import { encodeExportLogsResponse, encodeRpcStatus, grpcCodeOf, partialSuccessOf } from './encode-response';
import { StatusType } from './otlp-proto';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '../test-support/sdk-log-records';

const pathOf = (index: number) => `resourceLogs[0].scopeLogs[0].logRecords[${index}]`;

describe('OTLP answers', () => {
  it('answers full success with the empty response, as the exporters read it', () => {
    const protobuf = encodeExportLogsResponse('protobuf');
    expect(protobuf.contentType).toBe('application/x-protobuf');
    expect(protobuf.body).toHaveLength(0);
    expect(ProtobufLogsSerializer.deserializeResponse(protobuf.body)).toEqual({});
    const json = encodeExportLogsResponse('json');
    expect(json).toEqual({ contentType: 'application/json', body: Buffer.from('{}') });
  });

  it('writes partial_success so that the exporters read the rejected count and the message', () => {
    const partial = partialSuccessOf(
      [{ index: 1, errors: [{ field: 'service', message: 'service must be at most 128 characters' }] }],
      3,
      pathOf,
    );
    expect(partial).toEqual({
      rejectedLogRecords: 1,
      errorMessage:
        '1 of 3 log records rejected: resourceLogs[0].scopeLogs[0].logRecords[1]: service must be at most 128 characters',
    });

    const fromProtobuf = ProtobufLogsSerializer.deserializeResponse(
      encodeExportLogsResponse('protobuf', partial).body,
    );
    expect(Number(fromProtobuf.partialSuccess?.rejectedLogRecords)).toBe(1);
    expect(fromProtobuf.partialSuccess?.errorMessage).toBe(partial?.errorMessage);
    const fromJson = JsonLogsSerializer.deserializeResponse(encodeExportLogsResponse('json', partial).body);
    expect(fromJson).toEqual({
      partialSuccess: { rejectedLogRecords: '1', errorMessage: partial?.errorMessage },
    });
  });

  it('describes at most ten rejected records one by one', () => {
    const rejected = Array.from({ length: 12 }, (_, index) => ({
      index,
      errors: [{ field: 'level', message: 'bad' }],
    }));
    const partial = partialSuccessOf(rejected, 20, pathOf);
    expect(partial?.rejectedLogRecords).toBe(12);
    expect(partial?.errorMessage).toMatch(
      /^12 of 20 log records rejected: .*logRecords\[9\]: bad; and 2 more$/,
    );
    expect(partialSuccessOf([], 20, pathOf)).toBeUndefined();
  });

  it('writes google.rpc.Status in the request encoding, JSON when that is unknown', () => {
    const binary = encodeRpcStatus('protobuf', 400, 'body is not valid');
    expect(binary.contentType).toBe('application/x-protobuf');
    expect(StatusType.toObject(StatusType.decode(binary.body))).toEqual({
      code: 3,
      message: 'body is not valid',
    });
    expect(JSON.parse(encodeRpcStatus('json', 503, 'try later').body.toString())).toEqual({
      code: 14,
      message: 'try later',
    });
    expect(encodeRpcStatus(undefined, 415, 'x').contentType).toBe('application/json');
  });

  it('maps HTTP statuses onto google.rpc codes', () => {
    expect([400, 401, 413, 429, 500, 503, 418].map(grpcCodeOf)).toEqual([3, 16, 3, 8, 13, 14, 2]);
  });
});
