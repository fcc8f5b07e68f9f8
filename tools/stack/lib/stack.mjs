// The stack as a list of services, built from the resolved config (for `up`) or from the stack.json
// a previous `up` wrote (for `status` and `down`), so all commands agree on names, ports and PIDs.
import { ingestService, workerService } from './apps.mjs';
import { portsFor, resolveLimits } from './config.mjs';
import { nginxService } from './nginx.mjs';
import { APP_ROLES, databaseUrlFor, externalPostgres, postgresService } from './postgres.mjs';
import { MARKER_VARIABLE, markerFor } from './processes.mjs';
import { externalRedis, redisService, redisUrlFor } from './redis.mjs';

export const START_ORDER = ['redis', 'postgres', 'ingest-1', 'ingest-2', 'worker', 'nginx'];
// Front to back: stop taking requests, let the apps drain into Redis/PostgreSQL, then stop those.
export const STOP_ORDER = ['nginx', 'ingest-1', 'ingest-2', 'worker', 'redis', 'postgres'];

export function describeStack({ config, layout, postgresPaths }) {
  const identityMarker = (name) => markerFor(config.stateDir, name);
  const baseEnv = (name) => ({ ...process.env, [MARKER_VARIABLE]: identityMarker(name) });
  const redisUrl = config.external.redisUrl ?? redisUrlFor(config.ports.redis);
  const databaseUrl = config.external.databaseUrl ?? databaseUrlFor(config.ports.postgres);
  // An external DATABASE_URL is used for everything: its roles are the operator's business.
  const roleUrl = (role) => config.external.databaseUrl ?? databaseUrlFor(config.ports.postgres, role);
  const databaseUrls = {
    migration: roleUrl(APP_ROLES.owner),
    worker: roleUrl(APP_ROLES.writer),
    read: roleUrl(APP_ROLES.reader),
  };
  const context = { config, layout, identityMarker, baseEnv, redisUrl, databaseUrl, databaseUrls };
  const services = [
    config.external.redisUrl ? externalRedis(redisUrl) : redisService(context),
    config.external.databaseUrl
      ? externalPostgres(databaseUrl)
      : postgresService({ ...context, paths: postgresPaths }),
    ingestService(context, 1),
    ingestService(context, 2),
    workerService(context),
    nginxService(context),
  ];
  const byName = Object.fromEntries(services.map((service) => [service.name, service]));
  return {
    services,
    byName,
    redisUrl,
    databaseUrl,
    databaseUrls,
    ordered: (order) => order.map((name) => byName[name]),
  };
}

/** What stack.json records: enough to rebuild the same description without flags. */
export function stackRecord({ config, postgresPaths }) {
  return {
    stateDir: config.stateDir,
    portBase: config.portBase,
    external: config.external,
    limits: config.limits,
    postgres: config.external.databaseUrl ? null : postgresPaths,
  };
}

export function configFromRecord(record, repoRoot) {
  return {
    repoRoot,
    stateDir: record.stateDir,
    portBase: record.portBase,
    ports: portsFor(record.portBase),
    external: record.external,
    // A record written before a limit existed (TAIL_MAX_PER_IP) gets its default: the templates need it.
    limits: { ...resolveLimits({}), ...record.limits },
    timeoutMs: 60000,
  };
}
