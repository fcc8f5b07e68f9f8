#!/usr/bin/env node
// `npm test`: every test of the workspace on a fresh clone. Installs what the tests need first
// (npm dependencies, nginx), checks the services they talk to, then runs lint, typecheck and every
// project's tests (unit, integration, end-to-end) through Nx, and prints one summary line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNodeModules, ensureSystemPackages } from '../stack/lib/install.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = join(root, 'tmp', 'test-results');
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' };

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env, ...options });
  return result.status ?? 1;
}

async function checkServices() {
  const { default: pg } = await import(join(root, 'node_modules/pg/lib/index.js'));
  const { default: Redis } = await import(join(root, 'node_modules/ioredis/built/index.js'));
  const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.end();
  } catch (error) {
    throw new Error(
      `PostgreSQL at ${databaseUrl} is not reachable (${error.message}); start it or set TEST_DATABASE_URL`,
    );
  }
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis at ${redisUrl} is not reachable (${error.message}); start it or set TEST_REDIS_URL`,
    );
  } finally {
    redis.disconnect();
  }
}

function summarise() {
  let passed = 0;
  let failed = 0;
  let suitesFailed = 0;
  if (existsSync(resultsDir)) {
    for (const file of readdirSync(resultsDir).filter((name) => name.endsWith('.json'))) {
      const report = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
      passed += report.numPassedTests;
      failed += report.numFailedTests;
      suitesFailed += report.numRuntimeErrorTestSuites ?? 0;
    }
  }
  return { passed, failed, suitesFailed };
}

async function main() {
  const started = Date.now();
  ensureNodeModules(root);
  // nginx for the e2e tests; redis-server and PostgreSQL binaries for the private instances of the
  // stack and fault tests (the machine's shared services are not enough there).
  // rsyslog and syslog-ng: the real senders of the syslog e2e tests (apps/syslog-e2e); chromium for
  // the console e2e tests (apps/console-e2e); kubectl for the manifest tests (apps/k8s-manifests).
  ensureSystemPackages({
    needRedis: true,
    needPostgres: true,
    needSyslog: true,
    needBrowser: true,
    needKubectl: true,
  });
  await checkServices();
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const targets = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['lint', 'typecheck', 'test'];
  // Lint and typecheck only use the CPU, so they run two at a time on the two cores; the tests start
  // real servers (nginx, Redis, PostgreSQL, browsers) and time what they see, so one project at a time.
  const nx = (names, parallel) =>
    run('npx', [
      'nx',
      'run-many',
      '-t',
      ...names,
      `--parallel=${parallel}`,
      '--outputStyle=stream',
      '--skipNxCache',
    ]);
  const checks = targets.filter((target) => target === 'lint' || target === 'typecheck');
  const others = targets.filter((target) => !checks.includes(target));
  const checksStatus = checks.length > 0 ? nx(checks, 2) : 0;
  const othersStatus = others.length > 0 ? nx(others, 1) : 0;
  const status = Math.max(checksStatus, othersStatus);
  // The tooling's own unit tests (plain Node ESM, outside Nx): node's test runner, TAP totals to a file.
  const toolsTap = join(resultsDir, 'tools.tap');
  const toolsStatus = targets.includes('test')
    ? run(process.execPath, [
        '--test',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=tap',
        `--test-reporter-destination=${toolsTap}`,
        'tools/bench/test/',
      ])
    : 0;
  const tools = existsSync(toolsTap) ? readFileSync(toolsTap, 'utf8') : '';
  const count = (name) => Number(tools.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
  const { passed: jestPassed, failed: jestFailed, suitesFailed } = summarise();
  const passed = jestPassed + count('pass');
  const failed = jestFailed + count('fail');
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(
    `\nnpm test finished in ${seconds} s (nx exit code ${status}: ${checks.join('+') || 'no checks'} ${checksStatus}, ${others.join('+') || 'nothing else'} ${othersStatus}); suites that failed to run: ${suitesFailed}`,
  );
  console.log(`${passed} passed, ${failed} failed`);
  // A run of the tests that ran none is a failure; a run of only lint and typecheck has no tests to count.
  const ranTests = !targets.includes('test') || passed > 0;
  process.exit(status === 0 && toolsStatus === 0 && failed === 0 && suitesFailed === 0 && ranTests ? 0 : 1);
}

main().catch((error) => {
  console.error(`npm test: ${error.message}`);
  process.exit(1);
});
