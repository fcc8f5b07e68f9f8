import { decodeJsonRequest } from './decode-json';
import { decodeProtobufRequest } from './decode-protobuf';
import { OtlpDecodeError } from './otlp-decode-error';
import { OtlpEncoding, OtlpLogsRequest } from './otlp-logs.types';

/**
 * Decodes an ExportLogsServiceRequest body (already decompressed) in the given encoding. Whatever the
 * bytes, it returns a request or throws OtlpDecodeError: a decoder's own errors (truncated input, a length
 * past the end, a nesting deep enough to exhaust the stack) are all "this body does not decode".
 */
export function decodeExportLogsRequest(body: Uint8Array, encoding: OtlpEncoding): OtlpLogsRequest {
  try {
    return encoding === 'protobuf' ? decodeProtobufRequest(body) : decodeJsonRequest(body);
  } catch (error) {
    if (error instanceof OtlpDecodeError) {
      throw error;
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new OtlpDecodeError(`body is not a valid ExportLogsServiceRequest in ${encoding}: ${reason}`);
  }
}
