// Test support of @logpipe/log-schema (import as @logpipe/log-schema/testing): never from production code.
export { sampleLogEntry } from './lib/testing/sample-log-entry';
