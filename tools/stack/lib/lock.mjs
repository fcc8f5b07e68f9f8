// One `up` at a time per state dir: two would race for the same ports and pid files.
import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { StackError } from './errors.mjs';
import { commandLineOf, isAlive } from './processes.mjs';

export function acquireUpLock(lockFile) {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
      if (Number.isInteger(holder) && isAlive(holder) && commandLineOf(holder).includes('cli.mjs')) {
        throw new StackError(
          `another "stack up" (pid ${holder}) is starting this stack; wait for it or stop it`,
        );
      }
      // Left behind by an `up` that was killed: take it over.
      rmSync(lockFile, { force: true });
    }
  }
  throw new StackError(`could not take ${lockFile}`);
}
