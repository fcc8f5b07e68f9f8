// Public API of @logpipe/protocol-wire-text: text and JSON out of request bodies, cheaply and safely:
// short repeated texts of binary (protobuf) bodies without an allocation each, and JSON without
// prototype-pollution keys. No Nest, no I/O.
export { MAX_CACHED_TEXT_BYTES, ShortTextCache, type TextDecoding } from './lib/short-text-cache';
export { mayHoldPrototypeKeys, parseJsonRefusingPrototypeKeys } from './lib/prototype-safe-json';
export { ndjsonTexts, parseLargeJsonArray, type NdjsonTexts } from './lib/large-body-text';
