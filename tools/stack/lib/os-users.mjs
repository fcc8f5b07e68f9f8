// Root-only concerns: which OS user a service runs as, and whether that user can reach a directory.
import { spawnSync } from 'node:child_process';
import { chownSync, lstatSync, mkdirSync } from 'node:fs';
import { StackError } from './errors.mjs';

export function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** { name, uid, gid } from the user database (getent covers NSS sources /etc/passwd alone does not). */
export function lookupUser(name) {
  const result = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  const line = result.status === 0 ? result.stdout.trim().split('\n')[0] : '';
  const fields = line.split(':');
  if (fields.length < 4) throw new StackError(`OS user "${name}" does not exist`);
  return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** Whether `user` can traverse every directory down to and including `dir` (root asks runuser). */
export function canTraverse(user, dir) {
  const result = spawnSync('runuser', ['-u', user, '--', 'test', '-x', dir], { stdio: 'ignore' });
  return result.status === 0;
}

/** mkdir -p, then hand the leaf to `owner` ({ uid, gid }) with `mode`. */
export function makeOwnedDir(dir, owner, mode) {
  mkdirSync(dir, { recursive: true, mode });
  if (owner !== null) chownSync(dir, owner.uid, owner.gid);
}

/**
 * Creates the shared /tmp runtime dir safely: /tmp is world-writable, so refuse a path someone else
 * planted (a symlink, or a directory owned by another user).
 */
export function ensureRuntimeDir(dir) {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const stat = lstatSync(dir);
  const uid = process.getuid();
  if (!stat.isDirectory() || stat.uid !== uid) {
    throw new StackError(`${dir} exists but is not a directory owned by uid ${uid}; remove it and retry`);
  }
  return dir;
}
