import { waitFor, workspaceRoot } from '@logpipe/e2e-support';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, seriousViolations, type RunningBrowser } from './support/browser';
import { ConsoleStack, type SentEntry } from './support/console-stack';

// The console in Debian's chromium against the real stack through nginx (same origin as the API).
// Screenshots go to tmp/console-screenshots, or to CONSOLE_SCREENSHOTS_DIR (docs/console for the docs).
const SCREENSHOTS = resolve(
  workspaceRoot(),
  process.env['CONSOLE_SCREENSHOTS_DIR'] ?? 'tmp/console-screenshots',
);
const SERVICES = ['api', 'checkout', 'payments', 'search'];
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE_SERVICES = ['gateway', 'checkout', 'payments'];

describe('the web console in a real browser', () => {
  const stack = new ConsoleStack();
  let chromium: RunningBrowser;
  let context: BrowserContext;
  let page: Page;
  const seededAt = Date.now();
  const base = seededAt - 20 * 60000;
  const requestedUrls: string[] = [];
  const consoleLines: string[] = [];

  const seed: SentEntry[] = [
    ...Array.from({ length: 60 }, (_, i) => ({
      timestamp: new Date(base + i * 10000).toISOString(),
      level: LEVELS[i % 6],
      service: SERVICES[i % 4],
      message: `request ${i} ${i % 5 === 0 ? 'declined payment' : 'served'}`,
      attributes: { region: i % 3 === 0 ? 'eu' : 'us', order: { id: i } },
    })),
    ...TRACE_SERVICES.map((service, i) => ({
      timestamp: new Date(base + 300000 + [0, 15, 40][i]).toISOString(),
      level: 'info',
      service,
      message: `trace step ${i} in ${service}`,
      trace_id: TRACE,
      span_id: `00f067aa0ba902b${i}`,
    })),
  ];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await stack.start();
    await stack.send(seed);
    await stack.send([{ level: 'error', service: 'secret-service', message: 'globex only' }], 'globex');
    await stack.waitForStored(seed.length);
    chromium = await launchBrowser();
  }, 240000);

  afterAll(async () => {
    await chromium?.close();
    await stack.stop('console');
  }, 120000);

  beforeEach(async () => {
    context = await chromium.browser.newContext({
      viewport: { width: 1280, height: 800 },
      timezoneId: 'UTC',
    });
    page = await context.newPage();
    page.on('request', (request) => requestedUrls.push(request.url()));
    page.on('console', (message) => consoleLines.push(message.text()));
  });

  afterEach(async () => {
    await context?.close();
  });

  const status = () => page.getByTestId('results-status').innerText();

  async function signIn(key = stack.keys.acme, path = '/?range=24h'): Promise<void> {
    await page.goto(`${stack.url}${path}`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('results-status').waitFor();
  }

  /** Waits until the status line says `count` entries are shown. */
  async function expectShown(count: number): Promise<void> {
    await waitFor(
      `"${count} shown"`,
      async () => (await status()).startsWith(`${count} shown`),
      15000,
      100,
    ).catch(async (error) => {
      throw new Error(`${(error as Error).message}; status is "${await status()}"`);
    });
  }

  /** /api/logs/count for the filters of a 24-hour range ending now. */
  async function apiCount(filters: Record<string, string>): Promise<number> {
    const params = new URLSearchParams({
      from: new Date(Date.now() - 24 * 3600000).toISOString(),
      to: new Date().toISOString(),
      ...filters,
    });
    return (await stack.api<{ count: number }>(`/api/logs/count?${params}`)).count;
  }

  const visibleColumn = (selector: string) => page.locator(`[data-testid=row] ${selector}`).allInnerTexts();

  it('asks for a key, refuses a wrong one, and shows the newest entries after signing in', async () => {
    await page.goto(`${stack.url}/`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'sign-in.png') });
    await page.getByLabel('API key').fill('not-a-key-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not accepted' }).waitFor();
    await page.getByLabel('API key').fill(stack.keys.acme);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectShown(seed.length);
    expect(await visibleColumn('.service')).not.toContain('secret-service');
    const times = (await visibleColumn('.time')).map((t) => Date.parse(t.replace(' ', 'T')));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(page.url()).toContain('range=1h');
  });

  it.each<[string, (page: Page) => Promise<void>, Record<string, string>, (p: Page) => Promise<void>]>([
    [
      'service',
      async (p) => {
        await p.locator('summary').click();
        await p.getByRole('checkbox', { name: 'checkout' }).check();
      },
      { service: 'checkout' },
      async () => expect(new Set(await visibleColumn('.service'))).toEqual(new Set(['checkout'])),
    ],
    [
      'minimum level',
      (p) => p.selectOption('#level', 'error').then(() => undefined),
      { level: 'error' },
      async () => expect(new Set(await visibleColumn('.level'))).toEqual(new Set(['ERROR', 'FATAL'])),
    ],
    [
      'text',
      (p) => p.fill('#q', 'declined'),
      { q: 'declined' },
      async () => {
        for (const message of await visibleColumn('.message')) expect(message).toContain('declined');
      },
    ],
    ['attribute', (p) => p.fill('#attrs', 'region=eu'), { 'attr.region': 'eu' }, async () => undefined],
    [
      'trace id',
      (p) => p.fill('#trace-id', TRACE),
      { trace_id: TRACE },
      async () => expect(new Set(await visibleColumn('.service'))).toEqual(new Set(TRACE_SERVICES)),
    ],
  ])(
    'searches by %s: the rows shown are what /api/logs/count counts',
    async (_name, fill, filters, check) => {
      await signIn();
      await fill(page);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      const expected = await apiCount(filters);
      expect(expected).toBeGreaterThan(0);
      expect(expected).toBeLessThan(seed.length);
      await expectShown(expected);
      await check(page);
      for (const [name, value] of Object.entries(filters))
        expect(new URL(page.url()).searchParams.get(name)).toBe(value);
    },
  );

  it('searches an absolute from/to range', async () => {
    await signIn();
    const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    const from = minute(base + 120000);
    const to = minute(base + 360000);
    await page.selectOption('#range', 'custom');
    await page.fill('#from', from);
    await page.fill('#to', to);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const params = new URLSearchParams({ from: `${from}:00Z`, to: `${to}:00Z` });
    const { count } = await stack.api<{ count: number }>(`/api/logs/count?${params}`);
    expect(count).toBeGreaterThan(0);
    await expectShown(count);
    expect(new URL(page.url()).searchParams.get('from')).toBe(`${from}:00.000Z`);
  });

  it('draws a histogram whose bars add up to /api/logs/count for the same filters', async () => {
    for (const [path, filters] of [
      ['/?range=24h', {}],
      ['/?range=24h&service=checkout&service=api', { service: 'checkout,api' }],
      ['/?range=24h&level=warn', { level: 'warn' }],
    ] as const) {
      await signIn(stack.keys.acme, path);
      const expected = await apiCount(filters);
      const bars = await waitFor(
        `histogram bars summing to ${expected}`,
        async () => {
          const sum = await page.$$eval('g.bar', (groups) =>
            groups.reduce((total, g) => total + Number(g.getAttribute('data-total')), 0),
          );
          return sum === expected ? sum : null;
        },
        15000,
        100,
      );
      expect(bars).toBe(expected);
      expect(await page.getByTestId('histogram-total').innerText()).toBe(String(expected));
      await page.evaluate(() => sessionStorage.clear());
    }
  });

  it('zooms into the range dragged across the histogram, and puts it in the URL', async () => {
    await signIn();
    await page.locator('g.bar').first().waitFor();
    const box = await page.locator('.histogram-plot').boundingBox();
    if (!box) throw new Error('no histogram on the page');
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.9, y, { steps: 8 });
    await page.mouse.up();
    await waitFor(
      'an absolute range in the URL',
      async () => new URL(page.url()).searchParams.has('from'),
      10000,
    );
    const url = new URL(page.url());
    const from = Date.parse(url.searchParams.get('from') ?? '');
    const to = Date.parse(url.searchParams.get('to') ?? '');
    expect(url.searchParams.has('range')).toBe(false);
    expect(to - from).toBeLessThan(24 * 3600000 * 0.7);
    expect(to - from).toBeGreaterThan(24 * 3600000 * 0.5);
    // The form follows the view in an effect, a render after the URL changed: wait for it.
    await waitFor(
      'the range select showing the custom range',
      async () => (await page.inputValue('#range')) === 'custom',
      5000,
    );
    const { count } = await stack.api<{ count: number }>(
      `/api/logs/count?${new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString() })}`,
    );
    await expectShown(count);
  });

  it('tails: an entry posted while tailing shows within 2 s; pause counts arrivals, resume shows them', async () => {
    await signIn(stack.keys.acme, '/?range=1h&service=tailed');
    await page.getByLabel('Live tail').check();
    await waitFor(
      'the tail to be live',
      async () => (await page.getByTestId('tail-state').innerText()) === 'Live',
      15000,
    );
    expect(new URL(page.url()).searchParams.get('tail')).toBe('1');

    const message = `tailed entry ${Date.now()}`;
    const sentAt = Date.now();
    await stack.send([{ level: 'warn', service: 'tailed', message }]);
    await page.getByText(message).waitFor({ timeout: 5000 });
    const elapsed = Date.now() - sentAt;
    expect(elapsed).toBeLessThanOrEqual(2000);

    await page.getByRole('button', { name: 'Pause' }).click();
    await stack.send(
      [1, 2, 3].map((i) => ({ level: 'info', service: 'tailed', message: `while paused ${i}` })),
    );
    await waitFor(
      '"3 new while paused"',
      async () => (await page.getByTestId('paused-count').innerText()) === '3 new while paused',
      10000,
    );
    expect(await page.getByText('while paused 1').count()).toBe(0);
    await page.getByRole('button', { name: 'Resume' }).click();
    for (const i of [1, 2, 3]) await page.getByText(`while paused ${i}`).waitFor();
    expect(await visibleColumn('.service')).toEqual(['tailed', 'tailed', 'tailed', 'tailed']);
  });

  it('opens a trace from an entry and shows every service of it on the timeline', async () => {
    await signIn();
    await page.fill('#trace-id', TRACE);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expectShown(3);
    await page.getByTestId('row').first().click();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Show context' }).click();
    await page.locator('dialog .context-rows li.anchor').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'context.png') });
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Open trace' }).click();
    await page.getByTestId('trace-service').first().waitFor();
    expect(await page.getByTestId('trace-service').allInnerTexts()).toEqual(TRACE_SERVICES);
    expect(await page.locator('.timeline-row').count()).toBe(3);
    expect(new URL(page.url()).searchParams.get('trace')).toBe(TRACE);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'trace.png') });
    await page.keyboard.press('Escape');
    await page.getByTestId('results-status').waitFor();
  });

  it('restores the whole view on reload', async () => {
    await signIn();
    await page.locator('summary').click();
    await page.getByRole('checkbox', { name: 'checkout' }).check();
    await page.getByRole('checkbox', { name: 'api' }).check();
    await page.selectOption('#level', 'warn');
    await page.fill('#attrs', 'region=us');
    await page.selectOption('#range', '24h');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const expected = await apiCount({ service: 'checkout,api', level: 'warn', 'attr.region': 'us' });
    await expectShown(expected);
    await page
      .getByRole('button', { name: 'UTC' })
      .or(page.getByRole('button', { name: 'Local time' }))
      .click();
    const url = page.url();
    await page.reload();
    await expectShown(expected);
    expect(page.url()).toBe(url);
    expect(await page.inputValue('#level')).toBe('warn');
    expect(await page.inputValue('#attrs')).toBe('region=us');
    expect(await page.inputValue('#range')).toBe('24h');
    expect(await page.locator('#services-summary').innerText()).toBe('checkout, api');
    expect(new URL(url).searchParams.get('utc')).toBe('1');
    expect((await visibleColumn('.time'))[0]).toMatch(/Z$/);
  });

  it('brings the prompt back when the key stops being accepted, and never puts the key in a URL or a log', async () => {
    await signIn();
    await page.evaluate(() => sessionStorage.setItem('logpipe.apiKey', 'revoked-key-0123456789abcdef'));
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.getByRole('status').first().innerText()).toContain('not accepted');
    expect(await page.evaluate(() => sessionStorage.getItem('logpipe.apiKey'))).toBeNull();
    expect(await page.evaluate(() => Object.keys(localStorage))).not.toContain('logpipe.apiKey');
    for (const key of Object.values(stack.keys)) {
      expect(requestedUrls.filter((url) => url.includes(key))).toEqual([]);
      expect(consoleLines.filter((line) => line.includes(key))).toEqual([]);
    }
  });

  it('has no serious accessibility violations on the search screen, light and dark, wide and narrow', async () => {
    await signIn();
    await page.getByTestId('row').first().click();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'search-light.png') });
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe('dark');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'search-dark.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('row').first().waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SCREENSHOTS, 'phone.png') });
  });

  it('says what to do when nothing matches, and `/` focuses the search text', async () => {
    await signIn(stack.keys.acme, '/?range=15m&q=nothing-like-this');
    await page.getByTestId('empty').waitFor();
    expect(await page.getByTestId('empty').innerText()).toContain('Widen the time range');
    await page.locator('body').click();
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('q');
  });
});
