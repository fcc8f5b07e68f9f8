// Public API of @logpipe/protocol-otlp: decode, map onto the log entry, encode the answer. No Nest, no I/O.
export {};
