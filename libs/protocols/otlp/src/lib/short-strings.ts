import { ShortTextCache } from '@logpipe/protocol-wire-text';
import type { Reader } from 'protobufjs';

// Repeated keys and short values come from a table instead of a native decode each
// (@logpipe/protocol-wire-text). OTLP strings are decoded as Reader.string() decodes them.
const texts = new ShortTextCache((bytes, start, end) => bytes.toString('utf8', start, end));

/** A length-delimited UTF-8 string at the reader's position, as Reader.string() reads it. */
export function readString(reader: Reader): string {
  const length = reader.uint32();
  const start = reader.pos;
  const end = start + length;
  if (end > reader.len) {
    throw new RangeError(`index out of range: ${start} + ${length} > ${reader.len}`);
  }
  reader.pos = end;
  return texts.text(reader.buf as Buffer, start, end);
}
