import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/** Names an operator writes in LOG_LEVEL, most severe first ("info" is Nest's "log"). */
export const SERVICE_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;
export type ServiceLogLevel = (typeof SERVICE_LOG_LEVELS)[number];

/**
 * The services' own logs: one JSON object per line on stdout/stderr, so the operator's collector
 * (or Logpipe itself) can parse them. `level` is the most verbose level still printed.
 */
export function createJsonLogger(level: ServiceLogLevel, context: string): ConsoleLogger {
  const enabled = SERVICE_LOG_LEVELS.slice(0, SERVICE_LOG_LEVELS.indexOf(level) + 1).map((name) =>
    name === 'info' ? 'log' : name,
  ) as LogLevel[];
  return new ConsoleLogger(context, { json: true, colors: false, logLevels: enabled });
}
