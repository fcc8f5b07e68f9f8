// psql as a child process: the ceiling is "what psql's \copy does", so the bench runs psql itself.
import { spawn } from 'node:child_process';

/** Runs psql with ON_ERROR_STOP; resolves { output, seconds } or rejects with psql's output. */
export function psql(databaseUrl, args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('psql', [databaseUrl, '-qAtX', '-v', 'ON_ERROR_STOP=1', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolve({ output, seconds });
      else reject(new Error(`psql ${args.join(' ')} exited ${code}: ${output.slice(-1000)}`));
    });
  });
}

/** A path inside a \copy command, quoted as a SQL string literal. */
export function sqlLiteral(text) {
  return `'${text.replaceAll("'", "''")}'`;
}
