// The answers of OTLP/HTTP, written in the encoding of the request: ExportLogsServiceResponse on success
// (with partial_success when some records were refused) and google.rpc.Status on failure.
import { OTLP_CONTENT_TYPES } from './otlp-content-type';
import { OtlpEncoding } from './otlp-logs.types';
import { ExportLogsServiceResponseType, StatusType } from './otlp-proto';

export interface OtlpAnswer {
  contentType: string;
  body: Buffer;
}

export interface PartialSuccess {
  rejectedLogRecords: number;
  errorMessage: string;
}

/** A record the log entry's rules refused: its position among the request's records, and why. */
export interface RejectedRecord {
  index: number;
  errors: readonly { field: string; message: string }[];
}

/** How many rejected records the partial-success message describes one by one. */
export const MAX_DESCRIBED_REJECTIONS = 10;

/**
 * ExportLogsServiceResponse. Without rejections it is the empty message (an empty protobuf body, `{}` in
 * JSON), which the spec defines as full success.
 */
export function encodeExportLogsResponse(
  encoding: OtlpEncoding,
  partialSuccess?: PartialSuccess,
): OtlpAnswer {
  const contentType = OTLP_CONTENT_TYPES[encoding];
  if (encoding === 'json') {
    // int64 as a decimal string, as the proto3 JSON mapping writes it.
    const response =
      partialSuccess === undefined
        ? {}
        : {
            partialSuccess: {
              rejectedLogRecords: String(partialSuccess.rejectedLogRecords),
              errorMessage: partialSuccess.errorMessage,
            },
          };
    return { contentType, body: Buffer.from(JSON.stringify(response)) };
  }
  const message = ExportLogsServiceResponseType.fromObject(
    partialSuccess === undefined ? {} : { partialSuccess },
  );
  return { contentType, body: Buffer.from(ExportLogsServiceResponseType.encode(message).finish()) };
}

/**
 * The partial_success of a request whose `rejected` records were refused (undefined when none were):
 * the count, and a message naming each refused record's position and problems (the first
 * MAX_DESCRIBED_REJECTIONS of them).
 */
export function partialSuccessOf(
  rejected: readonly RejectedRecord[],
  total: number,
  pathOf: (index: number) => string,
): PartialSuccess | undefined {
  if (rejected.length === 0) {
    return undefined;
  }
  const described = rejected
    .slice(0, MAX_DESCRIBED_REJECTIONS)
    .map(({ index, errors }) => `${pathOf(index)}: ${errors.map((error) => error.message).join('; ')}`);
  const more = rejected.length - described.length;
  const tail = more > 0 ? `; and ${more} more` : '';
  return {
    rejectedLogRecords: rejected.length,
    errorMessage: `${rejected.length} of ${total} log records rejected: ${described.join('; ')}${tail}`,
  };
}

// google.rpc.Code values (google/rpc/code.proto) for the HTTP statuses ingest answers with.
const GRPC_CODE_BY_HTTP_STATUS: ReadonlyMap<number, number> = new Map([
  [400, 3], // INVALID_ARGUMENT
  [401, 16], // UNAUTHENTICATED
  [403, 7], // PERMISSION_DENIED
  [404, 5], // NOT_FOUND
  [413, 3], // INVALID_ARGUMENT: the request itself is too big; retrying it unchanged cannot help
  [415, 3], // INVALID_ARGUMENT
  [429, 8], // RESOURCE_EXHAUSTED
  [500, 13], // INTERNAL
  [502, 14], // UNAVAILABLE
  [503, 14], // UNAVAILABLE
  [504, 4], // DEADLINE_EXCEEDED
]);

/** The google.rpc.Code for an HTTP status (UNKNOWN, 2, for one without an obvious match). */
export function grpcCodeOf(httpStatus: number): number {
  return GRPC_CODE_BY_HTTP_STATUS.get(httpStatus) ?? 2;
}

/**
 * A google.rpc.Status error body, in the request's encoding; JSON when the request's encoding is unknown
 * (an unsupported Content-Type), since a person is then the likeliest reader.
 */
export function encodeRpcStatus(
  encoding: OtlpEncoding | undefined,
  httpStatus: number,
  message: string,
): OtlpAnswer {
  const status = { code: grpcCodeOf(httpStatus), message };
  if (encoding === 'protobuf') {
    return {
      contentType: OTLP_CONTENT_TYPES.protobuf,
      body: Buffer.from(StatusType.encode(StatusType.fromObject(status)).finish()),
    };
  }
  return { contentType: OTLP_CONTENT_TYPES.json, body: Buffer.from(JSON.stringify(status)) };
}
