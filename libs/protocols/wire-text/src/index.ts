// Public API of @logpipe/protocol-wire-text: text out of binary protocol bodies (OTLP and Loki protobuf),
// without a string allocation for every repeated short key and value. No Nest, no I/O.
export { MAX_CACHED_TEXT_BYTES, ShortTextCache, type TextDecoding } from './lib/short-text-cache';
