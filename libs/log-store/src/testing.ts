// Test support of @logpipe/log-store (import as @logpipe/log-store/testing): never from production code.
export { openMigratedSchema } from './lib/testing/migrated-schema';
