import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { interpolate, loadCompose, loadEnvExample } from './support/compose-file';
import { envsubst } from './support/envsubst';
import { findFreePortBase } from '@logpipe/e2e-support';
import { nginxConfigTest } from './support/nginx-binary';
import { NGINX_TEMPLATE } from './support/repo-paths';
import { renderStackNginx } from './support/stack-cli';

// Variables the nginx image itself defines; envsubst sees them too, so the template must survive them.
const IMAGE_ENVIRONMENT = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOSTNAME: 'nginx',
  HOME: '/root',
  NGINX_VERSION: '1.27.5',
  NJS_VERSION: '0.8.10',
  PKG_RELEASE: '1~bookworm',
};

/** The nginx service's environment as compose passes it, with .env copied from .env.example. */
function composeNginxEnvironment(): Record<string, string> {
  const variables = { ...loadEnvExample(), POSTGRES_PASSWORD: 'unused' };
  const environment = loadCompose().services.nginx.environment ?? {};
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [name, interpolate(String(value), variables)]),
  );
}

/**
 * Renders logpipe.conf.template as the nginx image would, into a prefix with a main file shaped like
 * the image's /etc/nginx/nginx.conf. Only what exists solely inside the image is mapped to this
 * machine: the upstream host names (to 127.0.0.1, same ports), port 80 and /var/log/nginx.
 */
function renderDockerVariant(prefix: string, listenPort: number): { conf: string; rendered: string } {
  const environment = composeNginxEnvironment();
  const local = {
    ...IMAGE_ENVIRONMENT,
    ...environment,
    NGINX_LISTEN: `127.0.0.1:${listenPort}`,
    NGINX_ACCESS_LOG: join(prefix, 'logs', 'access.log'),
    INGEST_1_ADDR: environment.INGEST_1_ADDR.replace(/^[^:]+:/, '127.0.0.1:'),
    INGEST_2_ADDR: environment.INGEST_2_ADDR.replace(/^[^:]+:/, '127.0.0.1:'),
  };
  const rendered = envsubst(readFileSync(NGINX_TEMPLATE, 'utf8'), local);
  for (const dir of ['conf.d', 'logs', 'temp']) mkdirSync(join(prefix, dir), { recursive: true });
  writeFileSync(join(prefix, 'conf.d', 'logpipe.conf'), rendered);
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    [
      'worker_processes auto;',
      `pid ${prefix}/logs/nginx.pid;`,
      'error_log stderr notice;',
      'events { worker_connections 1024; }',
      'http {',
      '    default_type application/octet-stream;',
      // The image's own log format and access log are declared next to ours.
      `    log_format main '$remote_addr - $remote_user [$time_local] "$request" $status';`,
      `    access_log ${prefix}/logs/image-access.log main;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (kind) => `    ${kind}_temp_path ${prefix}/temp/${kind};`,
      ),
      '    sendfile on;',
      '    keepalive_timeout 65;',
      `    include ${prefix}/conf.d/*.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  return { conf, rendered };
}

describe('nginx configuration', () => {
  let workDir: string;
  let portBase: number;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'logpipe-nginx-config-'));
    // As root nginx's workers run as nobody and must reach the temp dirs under this prefix.
    chmodSync(workDir, 0o755);
    portBase = await findFreePortBase(18600);
  });

  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('renders, for the stack, a configuration nginx -t accepts', () => {
    const conf = renderStackNginx(join(workDir, 'stack'), portBase);
    const result = nginxConfigTest(dirname(dirname(conf)), conf);
    expect(result).toEqual({ status: 0, output: expect.stringContaining('test is successful') });
  });

  it('keeps every path the stack renders inside its own prefix, so it runs without root', () => {
    const prefix = join(workDir, 'paths');
    const conf = renderStackNginx(prefix, portBase);
    const text = readFileSync(conf, 'utf8') + readFileSync(join(prefix, 'conf', 'logpipe.conf'), 'utf8');
    // Every directive that names a file nginx writes or reads.
    const paths = [
      ...text.matchAll(/^\s*(pid|error_log|access_log|include|[a-z_]+_temp_path)\s+([^\s;]+)/gm),
    ].map((m) => ({
      directive: m[1],
      path: m[2],
    }));
    expect(paths.map(({ directive }) => directive)).toEqual(
      expect.arrayContaining([
        'pid',
        'error_log',
        'access_log',
        'include',
        'client_body_temp_path',
        'proxy_temp_path',
      ]),
    );
    const outside = paths.filter(
      ({ path }) => !['stderr', 'off'].includes(path) && !path.startsWith(`${prefix}/`),
    );
    expect(outside).toEqual([]);
    expect(text).toContain(`listen 127.0.0.1:${portBase} default_server;`);
    expect(text).toContain(`server 127.0.0.1:${portBase + 1} max_fails=3 fail_timeout=10s;`);
    expect(text).toContain(`server 127.0.0.1:${portBase + 2} max_fails=3 fail_timeout=10s;`);
  });

  it('renders the Docker variant (compose environment through the image envsubst) into a configuration nginx -t accepts', () => {
    const prefix = join(workDir, 'docker');
    const { conf, rendered } = renderDockerVariant(prefix, portBase);
    expect(rendered).not.toMatch(/\$\{?[A-Z][A-Z0-9_]*\}?/);
    const result = nginxConfigTest(prefix, conf);
    expect(result).toEqual({ status: 0, output: expect.stringContaining('test is successful') });
  });

  it('carries the balancing, retry, limit and size directives the design depends on', () => {
    const { rendered } = renderDockerVariant(join(workDir, 'directives'), portBase);
    const lines = rendered
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const defaults = loadEnvExample();
    expect(lines).toEqual(
      expect.arrayContaining([
        'least_conn;',
        'zone ingest_upstream 64k;',
        'server 127.0.0.1:3000 max_fails=3 fail_timeout=10s;',
        'keepalive 32;',
        'proxy_http_version 1.1;',
        'proxy_set_header Connection "";',
        'proxy_connect_timeout 1s;',
        'proxy_next_upstream error timeout http_502 http_503 non_idempotent;',
        'proxy_next_upstream_tries 2;',
        `limit_req_zone $binary_remote_addr zone=logpipe_per_ip:10m rate=${defaults.RATE_LIMIT_RPS}r/s;`,
        `limit_req zone=logpipe_per_ip burst=${defaults.RATE_LIMIT_BURST} nodelay;`,
        'limit_req_status 429;',
        `client_max_body_size ${defaults.MAX_BODY_BYTES};`,
        'proxy_set_header X-Request-Id $logpipe_request_id;',
        'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
        'proxy_set_header X-Real-IP $remote_addr;',
        'add_header X-Request-Id $logpipe_request_id always;',
        'log_format logpipe_json escape=json',
      ]),
    );
    expect(lines.filter((line) => line.startsWith('location'))).toEqual([
      'location = /health {',
      'location = /health/live {',
      'location = /health/ready {',
      'location /api/ {',
      'location = /v1/logs {',
      'location = /loki/api/v1/push {',
      'location /elasticsearch/ {',
      'location = /elasticsearch {',
      'location /docs {',
      'location = /api/logs/tail {',
      'location = /metrics {',
      'location /health/ {',
      'location / {',
      'location /assets/ {',
      'location = /api {',
      'location @not_found {',
      'location @payload_too_large {',
      'location @too_many_requests {',
      'location @bad_gateway {',
      'location @service_unavailable {',
      'location @gateway_timeout {',
    ]);
  });
});
