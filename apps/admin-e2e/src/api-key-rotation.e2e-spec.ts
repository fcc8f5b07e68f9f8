import { type ServiceProcess, startIngest, TEST_REDIS_URL, waitFor } from '@logpipe/e2e-support';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * API keys rotate without a restart, with a real ingest process: API_KEYS_FILE is replaced the safe way
 * (a new file renamed over the old) while a load of requests with the surviving key runs across the swap.
 */
describe('API key rotation through API_KEYS_FILE (real ingest process)', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `e2e:${suffix}:keys`;
  const dir = mkdtempSync(join(tmpdir(), 'logpipe-keys-'));
  const file = join(dir, 'api-keys');
  const key = (name: string) => `${name}-${suffix}-${randomBytes(8).toString('hex')}`;
  const surviving = key('surviving');
  const retired = key('retired');
  const added = key('added');
  const redis = new Redis(TEST_REDIS_URL);
  let ingest: ServiceProcess;

  /** Replaces the keys file atomically: readers see the old file or the new one, never half of one. */
  const replaceKeysFile = (text: string) => {
    writeFileSync(`${file}.new`, text, { mode: 0o600 });
    renameSync(`${file}.new`, file);
  };
  const post = async (apiKey: string): Promise<number> => {
    const response = await fetch(`${ingest.url}/api/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify([{ level: 'info', service: 'key-rotation', message: 'hello' }]),
    });
    await response.arrayBuffer();
    return response.status;
  };

  /** What ingest logged: Nest's JSON logger puts our structured message under `message`. */
  const logged = (): Record<string, unknown>[] =>
    ingest
      .logRecords()
      .map((record) => record['message'])
      .filter(
        (message): message is Record<string, unknown> => typeof message === 'object' && message !== null,
      );

  beforeAll(async () => {
    writeFileSync(file, `# tenants\nacme:${surviving}\nacme:${retired}\n`, { mode: 0o600 });
    ingest = await startIngest('ingest-keys-e2e', {
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: streamKey,
      API_KEYS_FILE: file,
    });
  });

  afterAll(async () => {
    await ingest?.stop('SIGKILL');
    await redis.del(streamKey);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes a new key and refuses a removed one within a second, while every request with a surviving key succeeds', async () => {
    expect(await post(surviving)).toBe(202);
    expect(await post(retired)).toBe(202);
    expect(await post(added)).toBe(401);

    // Four clients sending back to back with the surviving key, across the swap (bounded in count and time).
    const statuses: number[] = [];
    let stop = false;
    const loadDeadline = Date.now() + 20000;
    const client = async () => {
      while (!stop && Date.now() < loadDeadline && statuses.length < 20000)
        statuses.push(await post(surviving));
    };
    const load = Promise.all([client(), client(), client(), client()]);
    await waitFor('the load running', async () => statuses.length >= 100, 10000, 10);

    const swappedAt = Date.now();
    replaceKeysFile(`acme:${surviving}\nacme:${added}\n`);
    const rotatedAfterMs = await waitFor(
      'the new key accepted and the removed one refused',
      async () =>
        (await post(added)) === 202 && (await post(retired)) === 401 ? Date.now() - swappedAt : false,
      5000,
      20,
    );
    const sentBeforeSwapDone = statuses.length;
    await waitFor(
      'more load after the swap',
      async () => statuses.length >= sentBeforeSwapDone + 100,
      10000,
      10,
    );
    stop = true;
    await load;

    expect(rotatedAfterMs).toBeLessThan(1000);
    expect(statuses.length).toBeGreaterThanOrEqual(200);
    expect(statuses.filter((status) => status !== 202)).toEqual([]);
    const reloads = logged().filter((message) => message['message'] === 'API keys reloaded');
    expect(reloads).toHaveLength(1);
    // Keys are never logged.
    for (const secret of [surviving, retired, added]) expect(ingest.logs()).not.toContain(secret);
  });

  it('keeps the current keys and logs why when the new file is not valid', async () => {
    replaceKeysFile(`acme:${surviving}\nthis line is not a tenant and key\n`);
    await waitFor('the refused reload logged', async () =>
      logged().some((message) => String(message['message']).startsWith('API keys not reloaded')),
    );
    expect(await post(surviving)).toBe(202);
    expect(await post(added)).toBe(202);
    const refused = logged().find((message) =>
      String(message['message']).startsWith('API keys not reloaded'),
    );
    expect(String(refused?.['error'])).toMatch(/API_KEYS_FILE line 2/);
    for (const secret of [surviving, added]) expect(ingest.logs()).not.toContain(secret);
  });

  it('re-reads the file on SIGHUP and keeps running', async () => {
    replaceKeysFile(`acme:${surviving}\n`);
    await waitFor('the file change applied', async () => (await post(added)) === 401);
    process.kill(ingest.pid, 'SIGHUP');
    await waitFor('the SIGHUP handled', async () =>
      logged().some((message) => message['trigger'] === 'SIGHUP'),
    );
    expect(ingest.isRunning).toBe(true);
    expect(await post(surviving)).toBe(202);
  });
});
