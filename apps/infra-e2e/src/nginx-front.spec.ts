import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findFreePortBase } from '@logpipe/e2e-support';
import { startNginx, type RunningNginx } from './support/nginx-binary';
import { renderStackNginx } from './support/stack-cli';

// The real nginx, rendered exactly as the stack renders it, in front of two small HTTP servers that
// stand where the ingest instances go and record what reaches them. What is under test is nginx's
// behaviour: routing, forwarding, retries and the answers it gives on its own.

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

class Upstream {
  readonly seen: Seen[] = [];
  status = 202;
  private server: Server | null = null;

  constructor(
    readonly name: string,
    readonly port: number,
  ) {}

  start(): Promise<void> {
    if (this.server !== null) return Promise.resolve();
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.writeHead(this.status, { 'content-type': 'application/json', 'x-logpipe-instance': this.name });
        res.end(JSON.stringify({ from: this.name, status: this.status }));
      });
    });
    // Longer than nginx's upstream keepalive_timeout, as the real ingest's must be.
    this.server.keepAliveTimeout = 75000;
    return new Promise((resolveStart) => this.server?.listen(this.port, '127.0.0.1', () => resolveStart()));
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolveStop) => server.close(() => resolveStop()));
  }
}

const postLog = (
  base: string,
  headers: Record<string, string> = {},
  body = '{"level":"info","service":"t","message":"m"}',
) =>
  fetch(`${base}/api/log`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

describe('nginx in front of two ingest instances', () => {
  let workDir: string;
  let base: string;
  let nginx: RunningNginx;
  let one: Upstream;
  let two: Upstream;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'logpipe-nginx-front-'));
    chmodSync(workDir, 0o755);
    const portBase = await findFreePortBase(18700);
    // A small body limit keeps the 413 test's payload small; everything else uses the defaults.
    // A stand-in for the console build (dist/apps/console): an index and one hashed bundle.
    const consoleDir = join(workDir, 'console');
    mkdirSync(join(consoleDir, 'assets'), { recursive: true });
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(consoleDir, 'assets', 'index-AbC123.js'), 'export {};');
    const conf = renderStackNginx(join(workDir, 'nginx'), portBase, {
      MAX_BODY_BYTES: '4096',
      LOGPIPE_CONSOLE_DIR: consoleDir,
    });
    one = new Upstream('ingest-1', portBase + 1);
    two = new Upstream('ingest-2', portBase + 2);
    await Promise.all([one.start(), two.start()]);
    base = `http://127.0.0.1:${portBase}`;
    nginx = await startNginx(dirname(dirname(conf)), conf, `${base}/health`);
  });

  afterEach(async () => {
    // Each test starts from both instances up and answering 202.
    await Promise.all([one.start().catch(() => undefined), two.start().catch(() => undefined)]);
    one.status = 202;
    two.status = 202;
    one.seen.length = 0;
    two.seen.length = 0;
  });

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all([one?.stop(), two?.stop()]);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('proxies POST /api/log with the client address, forwarding chain and a request id', async () => {
    const response = await postLog(base, { 'x-forwarded-for': '203.0.113.7' });
    expect(response.status).toBe(202);
    const [seen] = [...one.seen, ...two.seen];
    expect(seen).toMatchObject({
      method: 'POST',
      url: '/api/log',
      body: '{"level":"info","service":"t","message":"m"}',
    });
    expect(seen.headers['x-real-ip']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(response.headers.get('x-request-id')).toBe(seen.headers['x-request-id']);
    expect(['ingest-1', 'ingest-2']).toContain(response.headers.get('x-logpipe-instance'));
  });

  it("keeps a client's well-formed X-Request-Id and replaces a malformed one", async () => {
    const kept = await postLog(base, { 'x-request-id': 'client-id.42:a_b' });
    expect(kept.headers.get('x-request-id')).toBe('client-id.42:a_b');
    const replaced = await postLog(base, { 'x-request-id': 'has spaces and {braces}' });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    const forwarded = [...one.seen, ...two.seen].map((seen) => seen.headers['x-request-id']);
    expect(forwarded).toEqual(
      expect.arrayContaining(['client-id.42:a_b', replaced.headers.get('x-request-id')]),
    );
  });

  it('serves the console at / with index.html for any console URL, and its hashed bundles cached', async () => {
    for (const path of ['/', '/?range=1h&service=api', '/some/deep/link']) {
      const page = await fetch(`${base}${path}`);
      expect({ path, status: page.status, type: page.headers.get('content-type') }).toEqual({
        path,
        status: 200,
        type: 'text/html',
      });
      expect(await page.text()).toContain('<title>console</title>');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(page.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    }
    const bundle = await fetch(`${base}/assets/index-AbC123.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toBe('text/javascript');
    expect(bundle.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const missing = await fetch(`${base}/assets/gone-000.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ statusCode: 404 });
    expect(one.seen.length + two.seen.length).toBe(0);
  });

  it('proxies the batch endpoint and the two health endpoints, and nothing else', async () => {
    expect((await fetch(`${base}/api/logs`, { method: 'POST', body: '[]' })).status).toBe(202);
    expect((await fetch(`${base}/health/live`)).status).toBe(202);
    expect((await fetch(`${base}/health/ready`)).status).toBe(202);
    expect([...one.seen, ...two.seen].map((seen) => seen.url).sort()).toEqual([
      '/api/logs',
      '/health/live',
      '/health/ready',
    ]);

    // '/' and other paths are the console's (an SPA: unknown paths get its index.html).
    for (const path of ['/metrics', '/api', '/health/other', '/api/admin', '/api/admin/dead-letters']) {
      const response = await fetch(`${base}${path}`);
      expect({ path, status: response.status, type: response.headers.get('content-type') }).toEqual({
        path,
        status: 404,
        type: 'application/json',
      });
      expect(await response.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
    }
    expect(one.seen.length + two.seen.length).toBe(3);
  });

  it('answers GET /health itself, without asking an instance', async () => {
    await Promise.all([one.stop(), two.stop()]);
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers 413 JSON above MAX_BODY_BYTES without passing the body on', async () => {
    const response = await postLog(base, {}, 'x'.repeat(4097));
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'Request body exceeds 4096 bytes',
    });
    expect(one.seen.length + two.seen.length).toBe(0);
    expect((await postLog(base, {}, 'x'.repeat(4096))).status).toBe(202);
  });

  // The tests below make instances fail. nginx remembers failures for fail_timeout (10 s), so they run
  // last and in this order: an instance marked down would change how the earlier tests are balanced.
  it("passes an instance's deliberate 503 on to the client without retrying it or counting it as a failure", async () => {
    one.status = 503;
    const answers: string[] = [];
    // Twice max_fails (3) within fail_timeout: counted as failures, these would take ingest-1 out.
    for (let i = 0; i < 12; i += 1) {
      const response = await postLog(base);
      answers.push(`${response.status} ${response.headers.get('x-logpipe-instance')}`);
    }
    expect(answers.filter((answer) => answer === '503 ingest-1').length).toBeGreaterThanOrEqual(6);
    expect(answers.filter((answer) => answer === '202 ingest-2').length).toBeGreaterThanOrEqual(1);
    expect(answers.every((answer) => ['503 ingest-1', '202 ingest-2'].includes(answer))).toBe(true);
    // Each 503 reached one instance only: nginx did not send the write again.
    expect(one.seen.length + two.seen.length).toBe(12);
    // ingest-1 was never marked down: once it accepts again it gets its share at once.
    one.status = 202;
    const after = [];
    for (let i = 0; i < 6; i += 1) after.push((await postLog(base)).headers.get('x-logpipe-instance'));
    expect(after.filter((instance) => instance === 'ingest-1').length).toBeGreaterThanOrEqual(2);
  });

  it("tries a full instance's 503 on a live tail on the other instance, and passes the last 503 on", async () => {
    one.status = 503;
    two.status = 503;
    const response = await fetch(`${base}/api/logs/tail`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 503 });
    expect(one.seen.map((seen) => seen.url)).toEqual(['/api/logs/tail']);
    expect(two.seen.map((seen) => seen.url)).toEqual(['/api/logs/tail']);
    // The tail's upstream is its own: the write path still balances over both.
    one.status = 202;
    two.status = 202;
    const writers = new Set<string | null>();
    for (let i = 0; i < 4; i += 1) writers.add((await postLog(base)).headers.get('x-logpipe-instance'));
    expect(writers).toEqual(new Set(['ingest-1', 'ingest-2']));
  });

  it('sends a request that cannot reach a stopped instance to the other one', async () => {
    await one.stop();
    const statuses = [];
    for (let i = 0; i < 6; i += 1) {
      const response = await postLog(base);
      statuses.push(`${response.status} ${response.headers.get('x-logpipe-instance')}`);
    }
    expect(statuses).toEqual(Array(6).fill('202 ingest-2'));
    expect(two.seen).toHaveLength(6);
  });

  it('answers 502 JSON with Retry-After when no instance is reachable', async () => {
    await Promise.all([one.stop(), two.stop()]);
    const response = await postLog(base);
    expect(response.status).toBe(502);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(await response.json()).toMatchObject({ statusCode: 502, error: 'Bad Gateway' });
  });
});

describe('nginx rate limit', () => {
  let workDir: string;
  let nginx: RunningNginx;
  let upstream: Upstream;
  let base: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'logpipe-nginx-limit-'));
    chmodSync(workDir, 0o755);
    const portBase = await findFreePortBase(18800);
    const conf = renderStackNginx(join(workDir, 'nginx'), portBase, {
      RATE_LIMIT_RPS: '1',
      RATE_LIMIT_BURST: '2',
    });
    upstream = new Upstream('ingest-1', portBase + 1);
    await upstream.start();
    base = `http://127.0.0.1:${portBase}`;
    nginx = await startNginx(dirname(dirname(conf)), conf, `${base}/health`);
  });

  afterAll(async () => {
    await nginx?.stop();
    await upstream?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('answers 429 JSON with Retry-After: 1 once a client exceeds rate plus burst', async () => {
    const responses = await Promise.all(Array.from({ length: 8 }, () => postLog(base)));
    const statuses = responses.map((response) => response.status);
    // 1 r/s with a burst of 2: three of eight simultaneous requests get through (four if the eight
    // happen to straddle a refill), the rest are refused.
    expect(statuses.filter((status) => status === 202).length).toBeLessThanOrEqual(4);
    const limited = responses.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(4);
    expect(limited.length + statuses.filter((status) => status === 202).length).toBe(8);
    for (const response of limited) {
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    }
    expect(upstream.seen.length).toBe(statuses.filter((status) => status === 202).length);
    // Health checks are not rate limited.
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});
