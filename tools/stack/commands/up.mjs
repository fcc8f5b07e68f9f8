// `up`: install what is missing, start (or reuse) every service, wait until all are healthy, then
// either return (--detach) or stay attached and stop what it started on Ctrl-C / SIGTERM.
import { statSync } from 'node:fs';
import { buildApps, runMigrations } from '../lib/apps.mjs';
import { resolveConfig } from '../lib/config.mjs';
import { envFileEntries, writeEnvFile } from '../lib/env-file.mjs';
import { StackError } from '../lib/errors.mjs';
import { ensureNodeModules, ensureSystemPackages } from '../lib/install.mjs';
import { createLayoutDirs, readStackFile, stateLayout, writeStackFile } from '../lib/layout.mjs';
import { acquireUpLock } from '../lib/lock.mjs';
import { info, warn } from '../lib/output.mjs';
import { resolvePostgresPaths } from '../lib/postgres.mjs';
import { processStartMs } from '../lib/processes.mjs';
import { START_ORDER, STOP_ORDER, configFromRecord, describeStack, stackRecord } from '../lib/stack.mjs';
import { ensureStarted, inspect, stopService, waitAllHealthy } from '../lib/supervisor.mjs';
import { attach } from './attach.mjs';
import { printSummary } from './summary.mjs';

/**
 * A running stack cannot be "reused" with other ports or other external services: its processes would
 * be left out of the new stack.json, so `down` would no longer stop them. Say so instead.
 */
function refuseIncompatibleChange(previous, config, layout) {
  if (previous === null) return;
  const changes = [];
  if (previous.portBase !== config.portBase)
    changes.push(`port base ${previous.portBase} -> ${config.portBase}`);
  for (const [key, label] of [
    ['redisUrl', 'REDIS_URL'],
    ['databaseUrl', 'DATABASE_URL'],
  ]) {
    if ((previous.external?.[key] ?? null) !== config.external[key]) changes.push(`${label} changed`);
  }
  if (changes.length === 0) return;
  const running = describeStack({
    config: configFromRecord(previous, config.repoRoot),
    layout,
    postgresPaths: previous.postgres,
  });
  const alive = running.services.filter((service) => !service.external && inspect(service, layout).running);
  if (alive.length > 0) {
    throw new StackError(
      `the stack in ${config.stateDir} is running with other settings (${changes.join(', ')})`,
      `Running: ${alive.map((service) => service.name).join(', ')}. Stop it first (npm run stack:down), or use another --state-dir.`,
    );
  }
}

/** Reused app processes keep running the code they started with; point out when dist/ is newer. */
function warnIfStale(service, pid) {
  if (service.bundle === undefined) return;
  const startedAt = processStartMs(pid);
  if (startedAt !== null && statSync(service.bundle).mtimeMs > startedAt) {
    warn(
      `${service.name} (pid ${pid}) runs an older build than ${service.bundle}; restart it with stack:down, then stack`,
    );
  }
}

export async function up(flags) {
  const config = resolveConfig(flags);
  const layout = stateLayout(config.stateDir);
  createLayoutDirs(layout);
  const releaseLock = acquireUpLock(layout.lockFile);
  const started = [];
  const abort = new AbortController();
  const onSignal = (signal) => {
    warn(`${signal} received; abandoning start-up`);
    abort.abort(new StackError(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const checkpoint = () => {
    if (abort.signal.aborted) throw abort.signal.reason;
  };

  let stack;
  try {
    refuseIncompatibleChange(readStackFile(layout), config, layout);
    if (!flags.skipInstall) {
      ensureNodeModules(config.repoRoot);
      ensureSystemPackages({
        needRedis: !config.external.redisUrl,
        needPostgres: !config.external.databaseUrl,
      });
    }
    const postgresPaths = config.external.databaseUrl ? null : resolvePostgresPaths({ config, layout });
    writeStackFile(layout, stackRecord({ config, postgresPaths }));
    stack = describeStack({ config, layout, postgresPaths });
    writeEnvFile(
      layout.envFile,
      envFileEntries({
        config,
        redisUrl: stack.redisUrl,
        databaseUrl: stack.databaseUrl,
        databaseUrls: stack.databaseUrls,
      }),
    );

    const start = async (service) => {
      checkpoint();
      if (service.external) return;
      const { pid, reused } = await ensureStarted(service, layout);
      if (reused) {
        warnIfStale(service, pid);
      } else {
        started.push(service.name);
      }
      info(`${service.name}: ${reused ? 'already running' : 'started'} (pid ${pid})`);
    };
    const deadline = () => Date.now() + config.timeoutMs;

    // Redis and PostgreSQL come up while the apps build.
    const backing = [stack.byName.redis, stack.byName.postgres];
    for (const service of backing) await start(service);
    if (flags.skipBuild) {
      info('skipping the build (--skip-build): using the bundles already in dist/apps');
    } else {
      info(`building ingest, worker and console (log: ${layout.logFile('build')})`);
      await buildApps({ repoRoot: config.repoRoot, logFile: layout.logFile('build'), signal: abort.signal });
    }
    checkpoint();
    await waitAllHealthy(backing, layout, deadline(), abort.signal);
    if (!config.external.databaseUrl) await stack.byName.postgres.ensureDatabase();
    info(`running migrations (log: ${layout.logFile('migrate')})`);
    await runMigrations({
      repoRoot: config.repoRoot,
      databaseUrl: stack.databaseUrls.migration,
      logFile: layout.logFile('migrate'),
      signal: abort.signal,
    });

    for (const name of ['ingest-1', 'ingest-2', 'worker']) await start(stack.byName[name]);
    const nginx = stack.byName.nginx;
    const { changed } = nginx.render();
    await start(nginx);
    const nginxState = inspect(nginx, layout);
    if (changed && !started.includes('nginx') && nginxState.running) {
      info('nginx: configuration changed; reloading');
      nginx.reload(nginxState.pid);
    }
    await waitAllHealthy(stack.ordered(START_ORDER), layout, deadline(), abort.signal);
  } catch (error) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (stack !== undefined && started.length > 0) {
      warn(`start-up failed; stopping what this run started (${started.join(', ')})`);
      for (const service of stack.ordered(STOP_ORDER)) {
        if (started.includes(service.name)) await stopService(service, layout);
      }
    }
    releaseLock();
    throw error;
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  releaseLock();

  printSummary({ stack, layout, config, started });
  if (flags.detach) return 0;
  return attach({ stack, layout, started });
}
