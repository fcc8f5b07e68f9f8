// Loads the workspace's TypeScript sources into a plain Node tool (the bench's in-process harnesses):
// ts-node in transpile-only mode (the same tsc output the webpack build bundles) and the @logpipe/*
// aliases of tsconfig.base.json resolved as webpack's tsconfig-paths plugin does.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);
let registered = false;

/** A `require` that loads .ts files (give absolute paths) and resolves @logpipe/* aliases. */
export function tsRequire() {
  if (!registered) {
    registered = true;
    process.env.TS_NODE_TRANSPILE_ONLY = 'true';
    require('ts-node').register({
      project: join(repoRoot, 'apps/ingest/tsconfig.app.json'),
      transpileOnly: true,
    });
    const { paths } = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.base.json'), 'utf8')).compilerOptions;
    const Module = require('node:module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function resolveAlias(request, ...rest) {
      const target = paths[request];
      return resolve.call(this, target === undefined ? request : join(repoRoot, target[0]), ...rest);
    };
    require('reflect-metadata');
  }
  return require;
}
