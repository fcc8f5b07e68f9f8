import { OtlpEncoding } from './otlp-logs.types';

/** The media types OTLP/HTTP defines, by encoding; also the Content-Type of the answers. */
export const OTLP_CONTENT_TYPES: Readonly<Record<OtlpEncoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** The 415 message: names what would have been accepted. */
export const UNSUPPORTED_CONTENT_TYPE_MESSAGE = `Content-Type must be ${OTLP_CONTENT_TYPES.protobuf} or ${OTLP_CONTENT_TYPES.json}`;

/**
 * The encoding a Content-Type header announces, or undefined when it is neither OTLP encoding. Parameters
 * (`; charset=utf-8`) and letter case are ignored, as media types compare.
 */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  if (contentType === undefined) {
    return undefined;
  }
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (mediaType === OTLP_CONTENT_TYPES.protobuf) return 'protobuf';
  if (mediaType === OTLP_CONTENT_TYPES.json) return 'json';
  return undefined;
}
