// `render-nginx --out DIR`: the stack's nginx configuration rendered into DIR as an nginx prefix
// (DIR/conf/nginx.conf), without starting anything. The infra tests use it to `nginx -t` exactly what
// the stack would run.
import { join, resolve } from 'node:path';
import { findNginx } from '../lib/binaries.mjs';
import { REPO_ROOT, portsFor, resolveLimits, resolvePortBase } from '../lib/config.mjs';
import { StackError } from '../lib/errors.mjs';
import { renderStackNginx } from '../lib/nginx.mjs';

export async function renderNginx(flags) {
  if (flags.out === undefined) throw new StackError('render-nginx needs --out DIR');
  const prefix = resolve(flags.out);
  const { confPath } = renderStackNginx({
    repoRoot: REPO_ROOT,
    prefix,
    tempDir: join(prefix, 'temp'),
    ports: portsFor(resolvePortBase(flags.portBase, process.env)),
    limits: resolveLimits(process.env),
    nginxBinary: findNginx() ?? 'nginx',
    // The tests point it at a console build of their own.
    consoleRoot: process.env.LOGPIPE_CONSOLE_DIR || undefined,
  });
  process.stdout.write(`${JSON.stringify({ prefix, conf: confPath })}\n`);
  return 0;
}
