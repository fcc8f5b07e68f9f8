import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { run } from './cli';

// The stream client reports connection trouble through Nest's Logger; in a CLI that goes to stderr,
// so stdout stays the command's result (and valid JSON with --json).
Logger.overrideLogger({
  log: () => undefined,
  warn: (message: unknown) => process.stderr.write(`logpipe: ${String(message)}\n`),
  error: (message: unknown) => process.stderr.write(`logpipe: ${String(message)}\n`),
});

run(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`logpipe: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
