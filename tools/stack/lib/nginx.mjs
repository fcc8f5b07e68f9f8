// Rendering nginx/*.conf.template for the stack (the same ${VAR} substitution the official nginx
// image's envsubst step does) and running nginx from a prefix under the state dir.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findNginx, nginxBuildInfo, nginxStreamModule, versionAtLeast } from './binaries.mjs';
import { runtimeDirFor } from './config.mjs';
import { StackError } from './errors.mjs';
import { probeHttp } from './health.mjs';
import { canTraverse, ensureRuntimeDir, isRoot } from './os-users.mjs';
import { stopProcess } from './processes.mjs';

const TEMPLATE_VARIABLE = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/**
 * Replaces ${NAME} for every NAME in `variables` and nothing else, like envsubst given a list of
 * names; a ${NAME} left over is a variable the caller forgot, so it is an error rather than a
 * config nginx would reject with a less helpful message.
 */
export function renderTemplate(text, variables, templateName) {
  const rendered = text.replace(TEMPLATE_VARIABLE, (whole, name) =>
    Object.hasOwn(variables, name) ? String(variables[name]) : whole,
  );
  const leftover = [...new Set([...rendered.matchAll(TEMPLATE_VARIABLE)].map((match) => match[1]))];
  if (leftover.length > 0) {
    throw new StackError(`${templateName}: no value for ${leftover.map((name) => `\${${name}}`).join(', ')}`);
  }
  return rendered;
}

export function nginxTemplatePath(repoRoot, name) {
  return join(repoRoot, 'nginx', name);
}

/** Where `nx run console:build` writes the web console (vite's outDir). */
export function consoleBuildDir(repoRoot) {
  return join(repoRoot, 'dist', 'apps', 'console');
}

/**
 * The directory nginx serves the console from. As root the workers run as nobody; when nobody cannot
 * reach the build output (a checkout under a private home), a copy goes under /tmp/logpipe-stack-<hash>/.
 */
export function consoleRootFor(stateDir, repoRoot) {
  const built = consoleBuildDir(repoRoot);
  // Not built (a suite that does not need the console, with --skip-build): nginx answers 404 there.
  if (!existsSync(join(built, 'index.html')) || !isRoot() || canTraverse('nobody', built)) return built;
  const copy = join(ensureRuntimeDir(runtimeDirFor(stateDir)), 'console');
  rmSync(copy, { recursive: true, force: true });
  cpSync(built, copy, { recursive: true });
  return copy;
}

/** Temp-path directives for the modules this nginx was built with (nginx-light lacks some). */
function moduleTempPaths(buildFlags, tempDir) {
  return ['fastcgi', 'uwsgi', 'scgi']
    .filter((module) => !buildFlags.includes(`--without-http_${module}_module`))
    .map((module) => `    ${module}_temp_path ${tempDir}/${module};`)
    .join('\n');
}

/** The load_module line for the stream module, or nothing when it is built in. */
function streamModuleLoad(buildFlags) {
  const stream = nginxStreamModule(buildFlags);
  if (stream === null) {
    throw new StackError(
      'this nginx has no stream module (needed for the syslog front)',
      'Install it: sudo apt-get install -y libnginx-mod-stream (the stack installs it itself when run as root)',
    );
  }
  return stream.builtIn ? '' : `load_module ${stream.path};`;
}

/**
 * Where nginx's temp files go. As root the workers run as nobody, which must reach them; when it
 * cannot traverse the state dir they go under /tmp/logpipe-stack-<hash>/ instead.
 */
export function nginxTempDir(stateDir, prefix) {
  if (isRoot() && !canTraverse('nobody', prefix)) {
    return join(ensureRuntimeDir(runtimeDirFor(stateDir)), 'nginx-temp');
  }
  return join(prefix, 'temp');
}

/**
 * Writes <prefix>/conf/nginx.conf, logpipe.conf and logpipe-stream.conf for the given ports and limits.
 * Returns the main conf path and whether either file changed (a running nginx then needs a reload).
 */
export function renderStackNginx({ repoRoot, prefix, tempDir, ports, limits, nginxBinary, consoleRoot }) {
  const build = nginxBuildInfo(nginxBinary ?? findNginx() ?? 'nginx');
  const confDir = join(prefix, 'conf');
  for (const dir of [confDir, join(prefix, 'logs'), tempDir]) mkdirSync(dir, { recursive: true });
  const variables = {
    NGINX_PREFIX: prefix,
    NGINX_TEMP_DIR: tempDir,
    NGINX_MODULE_TEMP_PATHS: moduleTempPaths(build.flags, tempDir),
    NGINX_LISTEN: `127.0.0.1:${ports.nginx}`,
    NGINX_ACCESS_LOG: join(prefix, 'logs', 'access.log'),
    INGEST_1_ADDR: `127.0.0.1:${ports['ingest-1']}`,
    INGEST_2_ADDR: `127.0.0.1:${ports['ingest-2']}`,
    NGINX_LOAD_MODULES: streamModuleLoad(build.flags),
    SYSLOG_LISTEN: `127.0.0.1:${ports.syslog}`,
    SYSLOG_ACCESS_LOG: join(prefix, 'logs', 'syslog-access.log'),
    SYSLOG_MAX_CONNECTIONS_PER_IP: '256',
    INGEST_1_SYSLOG_ADDR: `127.0.0.1:${ports['ingest-1-syslog']}`,
    INGEST_2_SYSLOG_ADDR: `127.0.0.1:${ports['ingest-2-syslog']}`,
    CONSOLE_ROOT: consoleRoot ?? consoleBuildDir(repoRoot),
    ...limits,
  };
  let changed = false;
  for (const name of ['nginx.conf', 'logpipe.conf', 'logpipe-stream.conf']) {
    const template = nginxTemplatePath(repoRoot, `${name}.template`);
    const rendered = renderTemplate(readFileSync(template, 'utf8'), variables, template);
    const target = join(confDir, name);
    if (!existsSync(target) || readFileSync(target, 'utf8') !== rendered) {
      writeFileSync(target, rendered);
      changed = true;
    }
  }
  return { confPath: join(confDir, 'nginx.conf'), changed };
}

/** nginx arguments for a prefix run; -e (error log before the config is read) needs nginx >= 1.19.5. */
export function nginxArgs(nginxBinary, prefix, confPath, extra = []) {
  const { version } = nginxBuildInfo(nginxBinary);
  const errorLog = versionAtLeast(version, [1, 19, 5]) ? ['-e', 'stderr'] : [];
  return ['-p', `${prefix}/`, '-c', confPath, ...errorLog, ...extra];
}

export function testNginxConfig(nginxBinary, prefix, confPath) {
  const result = spawnSync(nginxBinary, nginxArgs(nginxBinary, prefix, confPath, ['-t', '-q']), {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new StackError(`nginx rejected ${confPath}`, `${result.stdout}${result.stderr}`.trim());
  }
}

export function nginxService({ config, layout, identityMarker, baseEnv }) {
  const port = config.ports.nginx;
  const prefix = layout.nginx;
  const confPath = join(prefix, 'conf', 'nginx.conf');
  return {
    name: 'nginx',
    port,
    url: `http://127.0.0.1:${port}`,
    confPath,
    // The master's title is "nginx: master process <argv>", which names this stack's conf file.
    identity: { cmdline: ['nginx', confPath], marker: identityMarker('nginx') },
    render() {
      const nginxBinary = findNginx();
      if (nginxBinary === null) throw new StackError('nginx is not installed');
      const tempDir = nginxTempDir(config.stateDir, prefix);
      const result = renderStackNginx({
        repoRoot: config.repoRoot,
        prefix,
        tempDir,
        ports: config.ports,
        limits: config.limits,
        nginxBinary,
        consoleRoot: consoleRootFor(config.stateDir, config.repoRoot),
      });
      testNginxConfig(nginxBinary, prefix, result.confPath);
      return result;
    },
    spawnSpec() {
      const nginxBinary = findNginx();
      return {
        command: nginxBinary,
        args: nginxArgs(nginxBinary, prefix, confPath, ['-g', 'daemon off;']),
        env: baseEnv('nginx'),
        cwd: prefix,
      };
    },
    probe: () => probeHttp(`http://127.0.0.1:${port}/health`),
    // SIGQUIT lets in-flight requests finish; SIGTERM is nginx's fast stop.
    stop: (pid) =>
      stopProcess(pid, [
        ['SIGQUIT', 10000],
        ['SIGTERM', 5000],
        ['SIGKILL', 5000],
      ]),
    reload: (pid) => process.kill(pid, 'SIGHUP'),
  };
}
