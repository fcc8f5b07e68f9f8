import type { INestApplicationContext, LoggerService } from '@nestjs/common';

export interface GracefulShutdownOptions {
  /** Longest the shutdown may take; past it the process exits 1 rather than hang a deploy. */
  budgetMs: number;
  logger: LoggerService;
  signals?: NodeJS.Signals[];
}

/**
 * SIGTERM/SIGINT close the application (its hooks stop intake, finish in-flight work, then close
 * Redis and PostgreSQL) and exit 0. Used instead of Nest's enableShutdownHooks(), which re-raises
 * the signal after closing, so the process would end "killed by SIGTERM" rather than exit cleanly.
 */
export function exitGracefullyOnSignals(
  app: INestApplicationContext,
  options: GracefulShutdownOptions,
): void {
  let closing = false;
  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      options.logger.log({ message: 'shutdown requested', signal, budgetMs: options.budgetMs });
      setTimeout(() => {
        options.logger.error({ message: 'shutdown budget spent; exiting', budgetMs: options.budgetMs });
        process.exit(1);
      }, options.budgetMs).unref();
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          options.logger.error({
            message: 'shutdown failed',
            error: error instanceof Error ? error.message : String(error),
          });
          process.exit(1);
        },
      );
    });
  }
}
