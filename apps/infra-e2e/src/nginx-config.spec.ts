import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { interpolate, loadCompose, loadEnvExample } from './support/compose-file';
import { envsubst } from './support/envsubst';
import { findFreePortBase } from '@logpipe/e2e-support';
import { nginxConfigTest, streamModuleLoadLine } from './support/nginx-binary';
import { NGINX_DOCKER_MAIN, NGINX_STREAM_TEMPLATE, NGINX_TEMPLATE } from './support/repo-paths';
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
 * Renders logpipe.conf.template and logpipe-stream.conf.template as the nginx image would, next to
 * compose's main file (nginx/docker/nginx.conf, which the compose file mounts over the image's own).
 * Only what exists solely inside the image is mapped to this machine: the upstream host names (to
 * 127.0.0.1, same ports), the listen ports, /etc/nginx and /var/log/nginx, the image's user, and the
 * stream module, built into the image but a dynamic module here.
 */
function renderDockerVariant(
  prefix: string,
  listenPort: number,
): { conf: string; rendered: string; renderedStream: string } {
  const environment = composeNginxEnvironment();
  const toLocal = (address: string) => address.replace(/^[^:]+:/, '127.0.0.1:');
  const local = {
    ...IMAGE_ENVIRONMENT,
    ...environment,
    NGINX_LISTEN: `127.0.0.1:${listenPort}`,
    NGINX_ACCESS_LOG: join(prefix, 'logs', 'access.log'),
    INGEST_1_ADDR: toLocal(environment.INGEST_1_ADDR),
    INGEST_2_ADDR: toLocal(environment.INGEST_2_ADDR),
    SYSLOG_LISTEN: `127.0.0.1:${listenPort + 6}`,
    SYSLOG_ACCESS_LOG: join(prefix, 'logs', 'syslog-access.log'),
    INGEST_1_SYSLOG_ADDR: toLocal(environment.INGEST_1_SYSLOG_ADDR),
    INGEST_2_SYSLOG_ADDR: toLocal(environment.INGEST_2_SYSLOG_ADDR),
  };
  const rendered = envsubst(readFileSync(NGINX_TEMPLATE, 'utf8'), local);
  const renderedStream = envsubst(readFileSync(NGINX_STREAM_TEMPLATE, 'utf8'), local);
  for (const dir of ['conf.d', 'logs', 'temp']) mkdirSync(join(prefix, dir), { recursive: true });
  writeFileSync(join(prefix, 'conf.d', 'logpipe.conf'), rendered);
  writeFileSync(join(prefix, 'conf.d', 'logpipe-stream.conf'), renderedStream);
  const main = readFileSync(NGINX_DOCKER_MAIN, 'utf8')
    .replace(/^user .*$/m, '')
    .replace(/^error_log .*$/m, 'error_log stderr notice;')
    .replace(/^pid .*$/m, `pid ${prefix}/logs/nginx.pid;`)
    .replaceAll('/etc/nginx/conf.d/', `${prefix}/conf.d/`)
    .replace(
      /^http \{$/m,
      [
        'http {',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
          (kind) => `    ${kind}_temp_path ${prefix}/temp/${kind};`,
        ),
      ].join('\n'),
    );
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, `${streamModuleLoadLine()}\n${main}`);
  return { conf, rendered, renderedStream };
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
    const text = [conf, ...['logpipe.conf', 'logpipe-stream.conf'].map((name) => join(prefix, 'conf', name))]
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
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
    const { conf, rendered, renderedStream } = renderDockerVariant(prefix, portBase);
    expect(rendered).not.toMatch(/\$\{?[A-Z][A-Z0-9_]*\}?/);
    expect(renderedStream).not.toMatch(/\$\{?[A-Z][A-Z0-9_]*\}?/);
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
        'keepalive 256;',
        'proxy_http_version 1.1;',
        'proxy_set_header Connection "";',
        'proxy_connect_timeout 1s;',
        // Only what cannot be an answer the instance chose: those count toward max_fails (issue 13).
        'proxy_next_upstream error timeout non_idempotent;',
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
      'location /api/admin {',
      'location @not_found {',
      'location @payload_too_large {',
      'location @too_many_requests {',
      'location @too_many_tails {',
      'location @bad_gateway {',
      'location @service_unavailable {',
      'location @gateway_timeout {',
    ]);
  });

  it('serves the live tail from an upstream of its own that retries a full instance without counting it as failed', () => {
    const { rendered } = renderDockerVariant(join(workDir, 'tail'), portBase);
    /** The directives of one block, from its opening line to its closing brace (blocks do not nest here). */
    const block = (opening: string) => {
      const from = rendered.indexOf(opening);
      expect(from).toBeGreaterThanOrEqual(0);
      return rendered
        .slice(from, rendered.indexOf('}', from))
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'));
    };
    expect(block('upstream ingest_tail {')).toEqual([
      'upstream ingest_tail {',
      'zone ingest_tail_upstream 64k;',
      'least_conn;',
      'server 127.0.0.1:3000 max_fails=0;',
      expect.stringMatching(/^server 127\.0\.0\.1:\d+ max_fails=0;$/),
    ]);
    const defaults = loadEnvExample();
    expect(block('location = /api/logs/tail {')).toEqual(
      expect.arrayContaining([
        `limit_conn logpipe_tail_per_ip ${defaults.TAIL_MAX_PER_IP};`,
        'limit_conn_status 460;',
        'error_page 460 =429 @too_many_tails;',
        'error_page 502 @bad_gateway;',
        'proxy_buffering off;',
        'proxy_next_upstream error timeout http_503;',
        'proxy_pass http://ingest_tail;',
      ]),
    );
    // The write path's upstream never sees a tail, and no location retries on a 503 but the tail's.
    expect(rendered.match(/proxy_pass http:\/\/ingest_tail;/g)).toHaveLength(1);
    expect(rendered.match(/^\s*proxy_next_upstream [^;]*http_503/gm)).toHaveLength(1);
  });

  it('balances syslog over TCP (least_conn) and UDP across both instances in a stream block of its own', () => {
    const { renderedStream } = renderDockerVariant(join(workDir, 'stream'), portBase);
    const lines = renderedStream
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(lines[0]).toBe('stream {');
    expect(lines).toEqual(
      expect.arrayContaining([
        'upstream logpipe_syslog_tcp {',
        'upstream logpipe_syslog_udp {',
        'least_conn;',
        'server 127.0.0.1:5514 max_fails=3 fail_timeout=10s;',
        `listen 127.0.0.1:${portBase + 6};`,
        `listen 127.0.0.1:${portBase + 6} udp;`,
        'proxy_pass logpipe_syslog_tcp;',
        'proxy_pass logpipe_syslog_udp;',
        'proxy_responses 0;',
        'limit_conn logpipe_syslog_per_ip 256;',
      ]),
    );
    // least_conn belongs to the TCP upstream only: a UDP datagram holds no connection to count.
    const udpUpstream = renderedStream.slice(renderedStream.indexOf('upstream logpipe_syslog_udp'));
    expect(udpUpstream.slice(0, udpUpstream.indexOf('}'))).not.toContain('least_conn');
  });

  it('renders, for the stack, the syslog stream front on its own port next to the HTTP server', () => {
    const prefix = join(workDir, 'stack-stream');
    const conf = renderStackNginx(prefix, portBase);
    const main = readFileSync(conf, 'utf8');
    const stream = readFileSync(join(prefix, 'conf', 'logpipe-stream.conf'), 'utf8');
    expect(main).toContain(`include ${prefix}/conf/logpipe-stream.conf;`);
    if (streamModuleLoadLine() !== '') expect(main).toContain(streamModuleLoadLine());
    expect(stream).toContain(`listen 127.0.0.1:${portBase + 6};`);
    expect(stream).toContain(`listen 127.0.0.1:${portBase + 6} udp;`);
    expect(stream).toContain(`server 127.0.0.1:${portBase + 7} max_fails=3 fail_timeout=10s;`);
    expect(stream).toContain(`server 127.0.0.1:${portBase + 8} max_fails=3 fail_timeout=10s;`);
  });
});
