// Public API of @logpipe/e2e-support: what the end-to-end suites share to boot the built processes,
// give each suite its own PostgreSQL schema, and wait with deadlines. Test code only.
export { type DeliveryTally, tallyByKey } from './lib/delivery-tally';
export { findFreePortBase, freePort } from './lib/ports';
export { isProcessAlive } from './lib/process-state';
export { PrivatePostgres } from './lib/private-postgres';
export { PrivateStack } from './lib/private-stack';
export { type ExitStatus, ServiceProcess, startIngest, startWorker } from './lib/service-process';
export { TestSchema } from './lib/test-schema';
export { sleep, TEST_DATABASE_URL, TEST_REDIS_URL, waitFor, workspaceRoot } from './lib/workspace';
export { type SuiteStorage, suiteWorkerEnv } from './lib/worker-env';
