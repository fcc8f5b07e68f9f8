// The part of @logpipe/log-store that readers of `logs` need (import as @logpipe/log-store/write-lanes):
// the condition naming every write lane, which their searches of `message` need. It loads nothing else
// of the library, so a reader such as @logpipe/log-query (and so ingest) does not load TypeORM, its
// entities and the COPY writer with it.
export { IN_EVERY_WRITE_LANE } from './lib/write-lanes';
