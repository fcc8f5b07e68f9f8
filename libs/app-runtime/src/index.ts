// Public API of @logpipe/app-runtime: what every Logpipe process does at start and stop:
// validate its environment, log as JSON, warn when its heap limit is too small for its settings or
// V8's memory reducer is on, keep its young generation through idle spells (and ingest its request
// objects young), and shut down gracefully on SIGTERM/SIGINT; and export Node's process metrics without waking an idle process 100 times a second.
export { validateEnvironment, EnvironmentValidationError } from './lib/validate-environment';
export { EnvBoolean, EnvDuration, parseDuration } from './lib/env-transforms';
export { createJsonLogger, SERVICE_LOG_LEVELS, type ServiceLogLevel } from './lib/json-logger';
export { exitGracefullyOnSignals, type GracefulShutdownOptions } from './lib/graceful-shutdown';
export { heapHeadroomProblem } from './lib/heap-headroom';
export { memoryReducerProblem, keepYoungGenerationThroughIdleSpells } from './lib/idle-heap';
export { keepRequestObjectsYoung } from './lib/pretenuring';
export { collectProcessMetrics } from './lib/process-metrics';
