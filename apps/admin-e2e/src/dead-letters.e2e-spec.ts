import {
  type ServiceProcess,
  startIngest,
  startWorker,
  suiteWorkerEnv,
  TEST_REDIS_URL,
  TestSchema,
  waitFor,
} from '@logpipe/e2e-support';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { runCli } from './support/cli-process';

interface DeadLetterView {
  id: string;
  sourceId: string | null;
  reason: string;
  payload: string | null;
}
interface DeadLetterList {
  total: number;
  reasons: { reason: string; count: number }[];
  entries: DeadLetterView[];
}

/**
 * The dead-letter round trip with real processes: an entry PostgreSQL refuses (a CHECK constraint
 * stands in for the cause: a schema or data rule the entry breaks) is dead-lettered by the worker; the
 * cause is fixed; the CLI and the admin route replay it; it is stored exactly once, however often it is
 * replayed.
 */
describe('dead letters end to end: poison -> dead letter -> fix -> replay -> stored once', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `e2e:${suffix}:stream`;
  const deadKey = `e2e:${suffix}:dead`;
  const adminKey = `admin-key-${suffix}-0123456789`;
  const schema = new TestSchema('admin_e2e');
  const redis = new Redis(TEST_REDIS_URL);
  const started: ServiceProcess[] = [];
  let ingest: ServiceProcess;
  let worker: ServiceProcess;
  const cliEnv = { REDIS_URL: TEST_REDIS_URL, STREAM_KEY: streamKey, DEAD_LETTER_STREAM: deadKey };
  const withEventId = `poison-${suffix}`;

  const admin = async (path: string, init: RequestInit = {}, key: string | null = adminKey) => {
    const headers: Record<string, string> =
      init.body === undefined ? {} : { 'content-type': 'application/json' };
    if (key !== null) headers['authorization'] = `Bearer ${key}`;
    const response = await fetch(`${ingest.url}/api/admin/dead-letters${path}`, { ...init, headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const cliJson = async <T>(...args: string[]): Promise<T> => {
    const run = await runCli([...args, '--json'], cliEnv);
    if (run.status !== 0) throw new Error(`logpipe ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  };
  /** Every entry of the stream delivered and acknowledged: what the worker will ever store, it has. */
  const drained = async (): Promise<boolean> => {
    const groups = (await redis.xinfo('GROUPS', streamKey)) as unknown[][];
    return groups.every((group) => {
      const fields = Object.fromEntries(
        Array.from({ length: group.length / 2 }, (_, i) => [group[2 * i], group[2 * i + 1]]),
      );
      return Number(fields['pending']) === 0 && Number(fields['lag']) === 0;
    });
  };
  const poisonRows = (): Promise<{ event_id: string; message: string }[]> =>
    schema.pool
      .query(`SELECT event_id, message FROM logs WHERE service = 'poison' ORDER BY event_id`)
      .then((result) => result.rows);

  beforeAll(async () => {
    await schema.create();
    worker = await startWorker(
      'worker-admin-e2e',
      suiteWorkerEnv(
        { schema: schema.name, streamKey, deadKey },
        { WORKER_NAME: `admin-${suffix}`, POISON_MAX_ATTEMPTS: '1', RETRY_BASE_MS: '10' },
      ),
    );
    started.push(worker);
    // The worker has migrated the schema (it is ready); now the rule the poison entries break.
    await schema.pool.query(`ALTER TABLE logs ADD CONSTRAINT logs_no_poison CHECK (service <> 'poison')`);
    ingest = await startIngest('ingest-admin-e2e', {
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: streamKey,
      DEAD_LETTER_STREAM: deadKey,
      ADMIN_API_KEYS: adminKey,
    });
    started.push(ingest);
  });

  afterAll(async () => {
    await Promise.all(started.map((process) => process.stop('SIGKILL')));
    await redis.del(streamKey, deadKey);
    redis.disconnect();
    await schema.drop();
  });

  it('dead-letters the entries PostgreSQL refuses, with the reason, and stores the rest of their batch', async () => {
    const response = await fetch(`${ingest.url}/api/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { id: withEventId, level: 'error', service: 'poison', message: 'has an event id' },
        { level: 'error', service: 'poison', message: 'has no event id' },
        { level: 'info', service: 'fine', message: 'stored at once' },
      ]),
    });
    expect(response.status).toBe(202);
    await waitFor('two dead letters', async () => (await redis.xlen(deadKey)) === 2);
    expect(await schema.count(`service = 'fine'`)).toBe(1);
    expect(await poisonRows()).toEqual([]);

    const listed = await cliJson<DeadLetterList>('dead', 'list');
    expect(listed.total).toBe(2);
    expect(listed.reasons).toEqual([
      { reason: expect.stringMatching(/^rejected by PostgreSQL: .*logs_no_poison/), count: 2 },
    ]);
    expect(listed.entries.map((entry) => entry.sourceId)).toEqual([expect.any(String), expect.any(String)]);

    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    expect(metrics).toMatch(/^logpipe_dead_letters 2$/m);
    expect(metrics).toMatch(/^logpipe_worker_dead_letters_dropped_total\{bound="count"\} 0$/m);
  });

  it('serves the same list on the admin route, only with the admin key', async () => {
    expect((await admin('', {}, null)).status).toBe(401);
    expect((await admin('', {}, 'not-the-admin-key-at-all')).status).toBe(401);
    const { status, body } = await admin('?limit=1');
    expect(status).toBe(200);
    expect(body).toMatchObject({ total: 2, reasons: [{ count: 2 }], next: expect.any(String) });
    const [first] = body['entries'] as DeadLetterView[];
    const shown = await admin(`/${first.id}`);
    expect(shown).toEqual({
      status: 200,
      body: expect.objectContaining({ id: first.id, payload: first.payload }),
    });
    expect((await admin('/1-1')).status).toBe(404);
  });

  it('after the cause is fixed, a replay stores the entry once, and replaying it again stores nothing more', async () => {
    await schema.pool.query(`ALTER TABLE logs DROP CONSTRAINT logs_no_poison`);
    const { entries } = await cliJson<DeadLetterList>('dead', 'list');
    const keyed = entries.find((entry) => entry.payload?.includes(withEventId)) as DeadLetterView;
    const unkeyed = entries.find((entry) => entry !== keyed) as DeadLetterView;

    // --keep leaves the dead letter in place, so the very same entry can be replayed a second time.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const result = await cliJson<{ queued: unknown[]; skipped: unknown[] }>(
        'dead',
        'replay',
        keyed.id,
        '--keep',
      );
      expect(result).toEqual({ queued: [{ id: keyed.id, streamId: expect.any(String) }], skipped: [] });
      await waitFor('the replay processed', drained);
    }
    await waitFor('the replayed entry stored', async () => (await poisonRows()).length === 1);
    expect(await poisonRows()).toEqual([{ event_id: withEventId, message: 'has an event id' }]);

    // Through the admin route: the entry without an event id gets one derived from its dead-letter id.
    const replayed = await admin('/replay', { method: 'POST', body: JSON.stringify({ ids: [unkeyed.id] }) });
    expect(replayed).toEqual({
      status: 200,
      body: { queued: [{ id: unkeyed.id, streamId: expect.any(String) }], skipped: [] },
    });
    const again = await admin('/replay', { method: 'POST', body: JSON.stringify({ ids: [unkeyed.id] }) });
    expect(again.body).toEqual({ queued: [], skipped: [{ id: unkeyed.id, reason: 'no such dead letter' }] });
    await waitFor('the replay processed', drained);
    await waitFor('both replayed entries stored', async () => (await poisonRows()).length === 2);
    expect(await poisonRows()).toEqual([
      { event_id: `dead-${unkeyed.id}`, message: 'has no event id' },
      { event_id: withEventId, message: 'has an event id' },
    ]);
    expect(await schema.tally()).toEqual({ rows: 3, distinct: 3 });
  });

  it('purges what is left, by the CLI or the admin route', async () => {
    // The kept dead letter is still there.
    expect((await admin('')).body).toMatchObject({ total: 1 });
    expect(await admin('?all=true', { method: 'DELETE' })).toEqual({ status: 200, body: { purged: 1 } });
    expect(await cliJson<{ purged: number }>('dead', 'purge', '--all')).toEqual({ purged: 0 });
    expect(await cliJson<DeadLetterList>('dead', 'list')).toMatchObject({ total: 0, entries: [] });
  });
});
