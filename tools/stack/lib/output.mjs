// Console output of the stack CLI: one prefix, and log tails for failures.
import { existsSync, readFileSync } from 'node:fs';

export function info(message) {
  process.stdout.write(`[stack] ${message}\n`);
}

export function warn(message) {
  process.stderr.write(`[stack] warning: ${message}\n`);
}

/** The last `lines` lines of a log file, indented, or a note that it is empty or missing. */
export function tailOf(file, lines = 25) {
  if (!existsSync(file)) return `  (no log at ${file})`;
  const text = readFileSync(file, 'utf8').trimEnd();
  if (text === '') return `  (${file} is empty)`;
  const tail = text.split('\n').slice(-lines);
  return [`  last ${tail.length} lines of ${file}:`, ...tail.map((line) => `  | ${line}`)].join('\n');
}
