import { LokiPushError } from './loki-push.error';
import { decodeJsonPush } from './push-json.decoder';
import { decodeProtobufPush } from './push-protobuf.decoder';
import { LokiPushRequest } from './push-request';

export interface LokiDecodeOptions {
  /** Body limit after decompression (MAX_BODY_BYTES); a snappy header announcing more is a 413. */
  readonly maxBodyBytes: number;
}

/** The media type alone, lower case: `Application/JSON; charset=utf-8` -> `application/json`. */
function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semicolon = contentType.indexOf(';');
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * Decodes a push body by its Content-Type, as Loki's distributor does (pkg/loghttp/push): JSON for
 * `application/json`; snappy-compressed protobuf for `application/x-protobuf` or no content type
 * (Loki's default). Loki reads any other type as protobuf too; Logpipe refuses it with a 415 naming
 * the two formats, which says more than a protobuf error about a body that never was one.
 */
export function decodeLokiPush(
  body: Uint8Array,
  contentType: string | undefined,
  options: LokiDecodeOptions,
): LokiPushRequest {
  const type = mediaType(contentType);
  if (type === 'application/json') return decodeJsonPush(body);
  if (type === 'application/x-protobuf' || type === '') return decodeProtobufPush(body, options.maxBodyBytes);
  throw new LokiPushError(
    415,
    `unsupported Content-Type "${(contentType ?? '').slice(0, 100)}": send application/x-protobuf (snappy-compressed PushRequest) or application/json`,
  );
}
