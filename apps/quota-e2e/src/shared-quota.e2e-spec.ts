import { randomBytes } from 'node:crypto';
import { findFreePortBase, PrivateStack, sleep } from '@logpipe/e2e-support';

// Low enough that a loaded 2-core machine still offers several times the rate; a burst of two seconds'
// worth, so an event loop stalled for a second under that load does not waste refilled tokens.
const QUOTA_PER_SECOND = 1000;
const QUOTA_BURST = 2000;
const BATCH = 50;
const CLIENTS = 8;
const PUSH_MS = 7000;

interface Answer {
  status: number;
  instance: string | null;
  retryAfter: string | null;
  message?: string;
  endedAt: number;
}

/**
 * Issue 13, "One quota for all instances": the real stack (two ingest instances behind nginx, Redis,
 * the worker, PostgreSQL), one tenant pushing hard through nginx. The tenant's admitted entries are its
 * quota (burst + rate x time) within 10%, not twice it, and both instances admit part of it.
 */
describe('one tenant quota across both ingest instances (real stack behind nginx)', () => {
  const key = randomBytes(16).toString('hex');
  let stack: PrivateStack;
  let nginx: string;

  beforeAll(async () => {
    stack = new PrivateStack(await findFreePortBase(19400), {
      API_KEYS: `acme:${key}`,
      TENANT_QUOTA_PER_SECOND: String(QUOTA_PER_SECOND),
      TENANT_QUOTA_BURST: String(QUOTA_BURST),
      TENANT_QUOTA_INSTANCES: '2',
      // nginx's per-IP request limit must not be what limits this test: all clients share 127.0.0.1.
      RATE_LIMIT_RPS: '100000',
      RATE_LIMIT_BURST: '100000',
    });
    stack.up();
    nginx = stack.env['NGINX_URL'];
  }, 180000);

  afterAll(() => stack?.down(), 150000);

  /** One client: a batch after the other until the deadline; over the quota it waits 20 ms, not the Retry-After. */
  async function client(lane: number, until: number, answers: Answer[]): Promise<void> {
    for (let n = 0; Date.now() < until; n++) {
      const entries = Array.from({ length: BATCH }, (_, i) => ({
        level: 'info',
        service: 'quota-e2e',
        message: `lane ${lane} batch ${n} entry ${i}`,
      }));
      const response = await fetch(`${nginx}/api/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(entries),
        signal: AbortSignal.timeout(10000),
      });
      const text = await response.text();
      answers.push({
        status: response.status,
        instance: response.headers.get('x-logpipe-instance'),
        retryAfter: response.headers.get('retry-after'),
        message: response.status === 202 ? undefined : text.slice(0, 300),
        endedAt: Date.now(),
      });
      if (response.status === 429) await sleep(20);
    }
  }

  it('admits the quota within 10% with one tenant pushing through nginx to both instances, not twice it', async () => {
    const answers: Answer[] = [];
    const started = Date.now();
    await Promise.all(Array.from({ length: CLIENTS }, (_, lane) => client(lane, started + PUSH_MS, answers)));
    const seconds = (Math.max(...answers.map((a) => a.endedAt)) - started) / 1000;

    const admitted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 429);
    const others = answers.filter((a) => a.status !== 202 && a.status !== 429);
    const expected = QUOTA_BURST + QUOTA_PER_SECOND * seconds;
    const byInstance: Record<string, number> = {};
    for (const a of admitted)
      byInstance[a.instance ?? 'none'] = (byInstance[a.instance ?? 'none'] ?? 0) + BATCH;
    const refusedBy: Record<string, number> = {};
    for (const a of refused) refusedBy[a.instance ?? 'none'] = (refusedBy[a.instance ?? 'none'] ?? 0) + 1;
    process.stdout.write(
      `quota-e2e: ${CLIENTS} clients x batches of ${BATCH} for ${seconds.toFixed(2)} s: ${answers.length} requests, ` +
        `${admitted.length * BATCH} entries admitted (expected ${Math.round(expected)} = ${QUOTA_BURST} + ${QUOTA_PER_SECOND}/s), ` +
        `${refused.length} requests 429, offered ${Math.round((answers.length * BATCH) / seconds)} entries/s, entries admitted by instance ${JSON.stringify(byInstance)}, 429s by instance ${JSON.stringify(refusedBy)}\n`,
    );

    expect(others.map((a) => `${a.status} ${a.message}`)).toEqual([]);
    // The clients offered far more than the quota, so the quota (not the machine) decided.
    expect((answers.length * BATCH) / seconds).toBeGreaterThan(QUOTA_PER_SECOND * 2);
    expect(admitted.length * BATCH).toBeGreaterThanOrEqual(expected * 0.9);
    expect(admitted.length * BATCH).toBeLessThanOrEqual(expected * 1.1);
    expect(byInstance['ingest-1']).toBeGreaterThan(0);
    expect(byInstance['ingest-2']).toBeGreaterThan(0);
    expect(refused[0].message).toContain('across all ingest instances');
    expect(refused.every((a) => Number(a.retryAfter) >= 1)).toBe(true);
  });
});
