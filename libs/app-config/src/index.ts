// Public API of @logpipe/app-config: start-up validation of each app's environment, and its logger.
export { validateEnvironment, EnvironmentValidationError } from './lib/validate-environment';
export { EnvBoolean } from './lib/env-transforms';
export { createJsonLogger, SERVICE_LOG_LEVELS, type ServiceLogLevel } from './lib/json-logger';
