import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  composeText,
  composeVariableNames,
  interpolate,
  loadCompose,
  loadEnvExample,
  loadStoreSettings,
  type ComposeService,
} from './support/compose-file';
import { REDIS_CONFIG, REPO_ROOT } from './support/repo-paths';

const compose = loadCompose();
const services = compose.services;
const LONG_RUNNING = ['ingest-1', 'ingest-2', 'worker', 'redis', 'postgres', 'nginx'];
const APPS = ['ingest-1', 'ingest-2', 'worker'];

// What `docker compose config` would see with .env copied from .env.example and a password set.
const variables: Record<string, string> = {
  ...loadEnvExample(),
  POSTGRES_PASSWORD: 'test-password',
  POSTGRES_WRITER_PASSWORD: 'writer-password',
  POSTGRES_READER_PASSWORD: 'reader-password',
};
const env = (service: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries(services[service].environment ?? {}).map(([k, v]) => [
      k,
      interpolate(String(v), variables),
    ]),
  );

function seconds(duration: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(duration);
  if (!match) throw new Error(`unexpected duration ${duration}`);
  return (Number(match[1]) / (match[2] === 'ms' ? 1000 : 1)) * (match[2] === 'm' ? 60 : 1);
}

describe('docker-compose.yml', () => {
  it('defines ingest-1, ingest-2, worker, redis, postgres and nginx, plus a one-shot migrate', () => {
    expect(Object.keys(services).sort()).toEqual([...LONG_RUNNING, 'migrate'].sort());
  });

  it('publishes a port on nginx and on no other service', () => {
    const published = Object.entries(services).filter(([, service]) => (service.ports ?? []).length > 0);
    expect(published.map(([name]) => name)).toEqual(['nginx']);
    expect(services.nginx.ports?.map((port) => interpolate(port, variables))).toEqual([
      `${variables.LOGPIPE_HTTP_PORT}:80`,
      `${variables.LOGPIPE_SYSLOG_PORT}:5514/tcp`,
      `${variables.LOGPIPE_SYSLOG_PORT}:5514/udp`,
    ]);
  });

  it.each(LONG_RUNNING)('gives %s a health check and a restart policy', (name) => {
    const service: ComposeService = services[name];
    expect(service.healthcheck?.test.length).toBeGreaterThan(1);
    expect(service.restart).toBe('unless-stopped');
  });

  it.each([
    ['ingest-1', 'ingest'],
    ['ingest-2', 'ingest'],
    ['worker', 'worker'],
  ])(
    "runs %s's bundle with the memory reducer off and the young generation's floor at NODE_OPTIONS' ceiling (README \"Memory\")",
    (name, app) => {
      const ceiling = /--max-semi-space-size=(\d+)/.exec(env(name).NODE_OPTIONS)?.[1];
      expect(ceiling).toBeDefined();
      expect(services[name].command).toEqual([
        'node',
        '--no-memory-reducer',
        `--min-semi-space-size=${ceiling}`,
        `/app/dist/apps/${app}/main.js`,
      ]);
    },
  );

  it('runs migrate once: no restart, exit 0 is its success', () => {
    expect(services.migrate.restart).toBe('no');
    expect(services.migrate.command).toEqual(['node', '/app/dist/apps/worker/migrate.js']);
    expect(services.migrate.image).toBe(services.worker.image);
  });

  it('starts each service only after what it needs is healthy (and migrations are done)', () => {
    const conditions = (name: string) =>
      Object.fromEntries(
        Object.entries(services[name].depends_on ?? {}).map(([dep, { condition }]) => [dep, condition]),
      );
    expect(conditions('ingest-1')).toEqual({ redis: 'service_healthy' });
    expect(conditions('ingest-2')).toEqual({ redis: 'service_healthy' });
    expect(conditions('migrate')).toEqual({ postgres: 'service_healthy' });
    expect(conditions('worker')).toEqual({
      redis: 'service_healthy',
      postgres: 'service_healthy',
      migrate: 'service_completed_successfully',
    });
    expect(conditions('nginx')).toEqual({ 'ingest-1': 'service_healthy', 'ingest-2': 'service_healthy' });
    expect(conditions('redis')).toEqual({});
    expect(conditions('postgres')).toEqual({});
  });

  it('runs Redis with deploy/redis/logpipe.conf: AOF fsynced every second, no RDB snapshots, rewrites every 512 MB', () => {
    const mounted = '/usr/local/etc/redis/logpipe.conf';
    expect(services.redis.command).toEqual(['redis-server', mounted]);
    expect(services.redis.volumes).toEqual(['redis-data:/data', `./deploy/redis/logpipe.conf:${mounted}:ro`]);
    // The file as redis-server reads it: `name value` lines, "" an empty value (the stack e2e checks what
    // a real redis-server started with it reports).
    const settings = Object.fromEntries(
      readFileSync(REDIS_CONFIG, 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => {
          const [name, ...value] = line.split(/\s+/);
          return [name, value.join(' ').replace(/^"(.*)"$/, '$1')];
        }),
    );
    expect(settings).toEqual({
      appendonly: 'yes',
      appendfsync: 'everysec',
      save: '',
      'auto-aof-rewrite-min-size': '512mb',
    });
    expect(services.redis.image).toMatch(/^redis:7/);
    expect(services.postgres.image).toMatch(/^postgres:15/);
    expect(services.postgres.volumes?.filter((volume) => !volume.startsWith('./'))).toEqual([
      'postgres-data:/var/lib/postgresql/data',
    ]);
    expect(Object.keys(compose.volumes).sort()).toEqual(['postgres-data', 'redis-data']);
  });

  it('keeps ingest, worker, migrate, Redis and PostgreSQL on an internal network only', () => {
    expect(compose.networks.backend?.internal).toBe(true);
    for (const name of [...APPS, 'migrate', 'redis', 'postgres']) {
      expect({ name, networks: services[name].networks }).toEqual({ name, networks: ['backend'] });
    }
    expect(services.nginx.networks?.sort()).toEqual(['backend', 'frontend']);
    expect(compose.networks.frontend?.internal).toBeFalsy();
  });

  it('gives the apps more stop grace than their 10 s shutdown budget', () => {
    for (const name of APPS) {
      expect(seconds(services[name].stop_grace_period ?? '10s')).toBeGreaterThan(10);
    }
  });

  it('names a build context, Dockerfile and nginx template that exist', () => {
    for (const name of [...APPS, 'migrate']) {
      const build = services[name].build;
      expect(build).toBeDefined();
      expect(existsSync(join(REPO_ROOT, build?.context ?? '', build?.dockerfile ?? 'Dockerfile'))).toBe(true);
      expect(['ingest', 'worker']).toContain(build?.args?.APP);
    }
    const binds = (services.nginx.volumes ?? []).map((volume) => volume.split(':'));
    expect(binds).toContainEqual([
      './nginx/logpipe.conf.template',
      '/etc/nginx/templates/logpipe.conf.template',
      'ro',
    ]);
    expect(binds).toContainEqual([
      './nginx/logpipe-stream.conf.template',
      '/etc/nginx/templates/logpipe-stream.conf.template',
      'ro',
    ]);
    // The image's main file includes conf.d inside http {} only; the stream block needs this one.
    expect(binds).toContainEqual(['./nginx/docker/nginx.conf', '/etc/nginx/nginx.conf', 'ro']);
    for (const [source] of binds) expect(existsSync(join(REPO_ROOT, source))).toBe(true);
    expect(existsSync(join(REPO_ROOT, '.env.example'))).toBe(true);
    // An empty conf.d drops the image's default.conf, which would otherwise answer for Host: localhost.
    expect(services.nginx.tmpfs).toEqual(['/etc/nginx/conf.d']);
    // The front is nginx with the console's static files, served from CONSOLE_ROOT.
    expect(services.nginx.build).toEqual({
      context: '.',
      dockerfile: 'deploy/Dockerfile',
      target: 'console',
    });
    expect(services.nginx.environment?.CONSOLE_ROOT).toBe('/usr/share/logpipe/console');
  });

  it('documents every variable it interpolates in .env.example', () => {
    const documented = Object.keys(loadEnvExample());
    const used = composeVariableNames(composeText());
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !documented.includes(name))).toEqual([]);
  });

  it('ships no database password: compose refuses to start until .env sets one', () => {
    expect(loadEnvExample().POSTGRES_PASSWORD).toBe('');
    const withoutPassword = { ...variables, POSTGRES_PASSWORD: '' };
    expect(() =>
      interpolate(String(services.postgres.environment?.POSTGRES_PASSWORD), withoutPassword),
    ).toThrow(/POSTGRES_PASSWORD/);
    expect(() => interpolate(String(services.migrate.environment?.DATABASE_URL), withoutPassword)).toThrow(
      /POSTGRES_PASSWORD/,
    );
    for (const [name, service] of [
      ['POSTGRES_WRITER_PASSWORD', 'worker'],
      ['POSTGRES_READER_PASSWORD', 'ingest-1'],
    ]) {
      expect(loadEnvExample()[name]).toBe('');
      expect(() =>
        interpolate(String(services[service].environment?.DATABASE_URL), { ...variables, [name]: '' }),
      ).toThrow(new RegExp(name));
    }
  });

  it('creates the worker and reader roles when the postgres volume is initialised, from the shared script', () => {
    const binds = (services.postgres.volumes ?? []).map((volume) => volume.split(':'));
    expect(binds).toContainEqual([
      './deploy/postgres/init-roles.sh',
      '/docker-entrypoint-initdb.d/10-logpipe-roles.sh',
      'ro',
    ]);
    expect(binds).toContainEqual(['./deploy/postgres/create-roles.sql', '/logpipe/create-roles.sql', 'ro']);
    for (const [source] of binds.filter(([source]) => source.startsWith('./'))) {
      expect(existsSync(join(REPO_ROOT, source))).toBe(true);
    }
    const script = readFileSync(join(REPO_ROOT, 'deploy/postgres/init-roles.sh'), 'utf8');
    expect(script).toContain('-f /logpipe/create-roles.sql');
    expect(env('postgres')).toMatchObject({
      LOGPIPE_WRITER_PASSWORD: 'writer-password',
      LOGPIPE_READER_PASSWORD: 'reader-password',
    });
  });

  it("starts PostgreSQL with deploy/postgres/logpipe.conf's settings, as the stack does", () => {
    const settings = loadStoreSettings();
    expect(settings.map(([name]) => name)).toEqual(
      expect.arrayContaining(['max_wal_size', 'checkpoint_timeout', 'wal_compression', 'wal_init_zero']),
    );
    expect(services.postgres.command).toEqual([
      'postgres',
      ...settings.flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ]);
  });

  it('wires the services to each other consistently', () => {
    const postgres = env('postgres');
    const database = `postgres:5432/${postgres.POSTGRES_DB}`;
    // Each app as its own role: migrations as the owner, the worker as the writer, ingest as the reader.
    expect(env('migrate').DATABASE_URL).toBe(
      `postgres://${postgres.POSTGRES_USER}:test-password@${database}`,
    );
    expect(env('worker').DATABASE_URL).toBe(`postgres://logpipe_writer:writer-password@${database}`);
    expect(env('ingest-1').DATABASE_URL).toBe(`postgres://logpipe_reader:reader-password@${database}`);
    expect(env('worker').REDIS_URL).toBe('redis://redis:6379');
    for (const [name, address] of [
      ['ingest-1', 'INGEST_1_ADDR'],
      ['ingest-2', 'INGEST_2_ADDR'],
    ]) {
      const ingest = env(name);
      expect(ingest).toMatchObject({ HOST: '0.0.0.0', REDIS_URL: 'redis://redis:6379', INSTANCE_ID: name });
      expect(env('nginx')[address]).toBe(`${name}:${ingest.PORT}`);
      // nginx's client_max_body_size and ingest's limit are one setting.
      expect(ingest.MAX_BODY_BYTES).toBe(env('nginx').MAX_BODY_BYTES);
    }
    expect(env('worker')).toMatchObject({ HEALTH_HOST: '0.0.0.0', DB_MIGRATE: 'false' });
    expect(services.worker.healthcheck?.test.join(' ')).toContain(
      `:${env('worker').HEALTH_PORT}/health/ready`,
    );
    expect(services['ingest-1'].healthcheck?.test.join(' ')).toContain(
      `:${env('ingest-1').PORT}/health/ready`,
    );
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'deploy', 'Dockerfile'), 'utf8');
  const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)\s+AS\s+(\S+)/gm)].map((match) => ({
    from: match[1],
    name: match[2],
  }));
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('builds in stages: deps, build, console-build, console, prod-deps, runtime', () => {
    expect(stages.map((stage) => stage.name)).toEqual([
      'deps',
      'build',
      'console-build',
      'console',
      'prod-deps',
      'runtime',
    ]);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev/);
  });

  it('runs the final image as the non-root node user with only the bundle and production modules', () => {
    expect(finalStage).toMatch(/^USER node$/m);
    const copies = [...finalStage.matchAll(/^COPY (.*)$/gm)].map((match) => match[1]);
    expect(copies).toEqual([
      '--from=prod-deps /repo/node_modules ./node_modules',
      '--from=build /repo/dist/apps/${APP} ./dist/apps/${APP}',
    ]);
  });

  it('runs the bundle with the memory reducer off when started without a command (README "Memory")', () => {
    expect(finalStage).toMatch(/^CMD \["node", "--no-memory-reducer", "main\.js"\]$/m);
  });

  it('builds the front image from nginx with the console files where CONSOLE_ROOT points', () => {
    expect(stages.find((stage) => stage.name === 'console')?.from).toBe('nginx:1.27');
    expect(dockerfile).toMatch(
      /^COPY --from=console-build \/repo\/dist\/apps\/console \/usr\/share\/logpipe\/console$/m,
    );
    expect(dockerfile).toMatch(/npx nx run console:build/);
  });

  it('keeps local installs, build outputs and secrets out of the build context', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', 'node_modules', 'dist', '.nx', '.stack', '.env'])
      expect(ignored).toContain(entry);
  });

  it('turns syslog on in both ingest instances on the port nginx balances to', () => {
    for (const name of ['ingest-1', 'ingest-2']) {
      const ingest = env(name);
      expect(ingest.SYSLOG_ENABLED).toBe('true');
      expect(ingest.SYSLOG_TCP_PORT).toBe('5514');
      expect(ingest.SYSLOG_UDP_PORT).toBe('5514');
      expect(env('nginx')[`INGEST_${name.slice(-1)}_SYSLOG_ADDR`]).toBe(`${name}:5514`);
    }
    expect(env('nginx').SYSLOG_LISTEN).toBe('5514');
  });
});
