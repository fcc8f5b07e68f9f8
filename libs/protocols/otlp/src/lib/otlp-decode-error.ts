/**
 * The body is not an ExportLogsServiceRequest in the announced encoding (OTLP answers 400). Decoding throws
 * nothing else, whatever the bytes: the message is safe to return to the client.
 */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}
