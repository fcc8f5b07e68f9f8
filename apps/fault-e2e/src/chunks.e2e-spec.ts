import {
  encodeChunkEntry,
  encodeLogChunk,
  encodeLogChunkOfEncoded,
  encodeLogEntry,
  encodeSubmittedChunks,
  type LogEntry,
} from '@logpipe/log-schema';
import { SNAPPY_PAYLOAD_FIELD } from '@logpipe/stream-client';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { compressSync } from 'snappy';
import { TestSchema } from './support/database';
import { type FaultFigures, printLine, recordResult, summaryLine } from './support/fault-results';
import { faultWorkerEnv, ProcessRegistry, type ServiceProcess } from './support/processes';
import { StreamProbe } from './support/stream';
import { sleep, TEST_DATABASE_URL, TEST_REDIS_URL, waitFor } from '@logpipe/e2e-support';

/**
 * Issue 14, chunked stream entries on the read side: one stream entry carries a chunk of log entries,
 * and the worker must store each exactly once whatever happens to it. The chunks are written here
 * the way ingest writes them (a version 3 value of encoded entries, or a version 4 value of the entries
 * as a client sent them; XADD and INCRBY of the entry counter together); the load-driven suites
 * (worker-crash, backlog-and-poison, redis-outage) exercise them through a real ingest.
 */
describe('chunked stream entries', () => {
  const suffix = randomBytes(4).toString('hex');
  const schema = new TestSchema(TEST_DATABASE_URL);
  const redis = new Redis(TEST_REDIS_URL);
  const processes = new ProcessRegistry();
  const probes: StreamProbe[] = [];
  const running = new Set<ServiceProcess>();

  const setup = (name: string) => {
    const streamKey = `fault:${suffix}:${name}`;
    const probe = new StreamProbe(redis, streamKey, `${streamKey}:dead`);
    probes.push(probe);
    const startWorker = async (extra: Record<string, string> = {}, waitReady = true) => {
      const worker = await processes.startWorker(
        `worker-${name}`,
        faultWorkerEnv(
          { schema: schema.schema, streamKey, deadKey: probe.deadKey },
          `worker-${name}-${suffix}`,
          extra,
        ),
        waitReady,
      );
      running.add(worker);
      return worker;
    };
    return { streamKey, probe, startWorker };
  };

  let sequence = 0;
  const entry = (service: string, message: string): LogEntry => ({
    timestamp: Date.parse('2026-11-26T10:00:00.000Z') + sequence++,
    receivedAt: Date.parse('2026-11-26T10:00:00.000Z'),
    level: 'info',
    service,
    message,
    attributes: { n: sequence },
    traceId: null,
    spanId: null,
    eventId: null,
    tenant: 'default',
  });

  const asSubmittedArray = (submitted: readonly unknown[]) => {
    const text = JSON.stringify(submitted);
    return { jsonArray: Buffer.from(text), bodyBytes: Buffer.byteLength(text) };
  };
  /** A version 4 value: `submitted` as a client sent them in one JSON array, as ingest queues them. */
  const asSent = (submitted: readonly unknown[]): Buffer =>
    encodeSubmittedChunks(
      asSubmittedArray(submitted),
      { receivedAtMs: Date.parse('2026-11-26T10:00:00.000Z'), tenant: 'default' },
      { maxEntries: 1000, maxBytes: 1 << 20 },
    )[0];
  /** A submitted entry of `service` (what a client posts to /api/logs). */
  const submittedEntry = (service: string, message: string) => ({
    timestamp: new Date(Date.parse('2026-11-26T10:00:00.000Z') + sequence++).toISOString(),
    level: 'info',
    service,
    message,
    attributes: { n: sequence },
  });
  /** `messages` as a version 3 chunk (even `c`) or a version 4 one (odd `c`). */
  const chunkValue = (c: number, service: string, messages: readonly string[]): string | Buffer =>
    c % 2 === 0
      ? encodeLogChunk(messages.map((m) => entry(service, m)))
      : asSent(messages.map((m) => submittedEntry(service, m)));

  /**
   * XADD one value and count its entries, atomically, as ingest's append script does; `compressed`:
   * snappy-compressed under SNAPPY_PAYLOAD_FIELD, as ingest stores values of STREAM_COMPRESS_MIN_BYTES.
   */
  const append = async (
    streamKey: string,
    value: string | Buffer,
    entries: number,
    compressed = false,
  ): Promise<string> => {
    const [[, id]] = (await redis
      .multi()
      .xadd(streamKey, '*', ...(compressed ? [SNAPPY_PAYLOAD_FIELD, compressSync(value)] : ['data', value]))
      .incrby(`${streamKey}:entries`, entries)
      .exec()) as [[null, string], [null, number]];
    return id;
  };

  /** Waits until the backlog is drained and nothing is pending; fails at the deadline. */
  const drained = (probe: StreamProbe, timeoutMs = 60000) =>
    waitFor(
      'stream drained and nothing pending',
      async () => (await probe.drained()) || null,
      timeoutMs,
      200,
    );

  /**
   * Every expected message stored exactly once, nothing else under that service; prints a FAULT line and
   * records the figures with the load-driven scenarios' (here every appended entry counts as acknowledged).
   */
  const expectStoredOnce = async (
    scenario: string,
    service: string,
    expected: readonly string[],
    probe: StreamProbe,
    notes?: Record<string, unknown>,
  ) => {
    const stored = await schema.storedMessages(service);
    const wanted = new Set(expected);
    const figures: FaultFigures = {
      scenario,
      requests: 0,
      sent: expected.length,
      acked: expected.length,
      rows: [...stored.values()].reduce((sum, n) => sum + n, 0),
      missing: expected.filter((m) => !stored.has(m)).length,
      duplicates: [...stored.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0),
      non2xx: 0,
      non2xxStored: 0,
      inFlightAtFault: 0,
      non2xxStoredUnexplained: 0,
      unexpected: [...stored.keys()].filter((m) => !wanted.has(m)).length,
      ...(await probe.drainState()),
      deadlinePassed: false,
      waitedMs: 0,
      statuses: {},
      notes,
    };
    printLine(summaryLine(figures));
    recordResult(figures);
    expect({
      missing: figures.missing,
      duplicates: figures.duplicates,
      unexpected: figures.unexpected,
    }).toEqual({
      missing: 0,
      duplicates: 0,
      unexpected: 0,
    });
  };

  beforeAll(async () => {
    await schema.create();
  });

  afterEach(async () => {
    await Promise.all([...running].map((w) => w.stop('SIGTERM')));
    running.clear();
  });

  afterAll(async () => {
    await processes.stopAll();
    for (const probe of probes) await probe.delete();
    redis.disconnect();
    await schema.drop();
  });

  it('loses and doubles nothing when the worker is SIGKILLed in the middle of chunks (between commit and acknowledgement, and at random moments of a drain)', async () => {
    const { streamKey, probe, startWorker } = setup('chunk-kill');
    const service = `chunk-kill-${suffix}`;
    const expected: string[] = [];
    // 250 chunks of 1 to 37 entries, versions 3 and 4 in turn, every third one compressed: a read of
    // BATCH_SIZE=50 entries spans chunk boundaries, and its rows go to PostgreSQL in slices of 50 that cut
    // through chunks.
    for (let c = 0; c < 250; c++) {
      const messages = Array.from({ length: 1 + ((c * 7) % 37) }, (_, i) => `m-${c}-${i}`);
      expected.push(...messages);
      await append(streamKey, chunkValue(c, service, messages), messages.length, c % 3 === 2);
    }
    const env = { BATCH_SIZE: '50', MAX_BATCHES_IN_FLIGHT: '2' };
    // 1. Twice a worker commits its first read and dies before settling it.
    const crashes: number[] = [];
    for (let round = 0; round < 2; round++) {
      const crashing = await startWorker({ ...env, LOGPIPE_FAILPOINT: 'crash-after-commit' }, false);
      expect(await crashing.exitWithin(20000)).toEqual({ code: null, signal: 'SIGKILL' });
      running.delete(crashing);
      crashes.push((await probe.pendingIds()).length);
    }
    expect(crashes.every((pending) => pending > 0)).toBe(true);
    // 2. Then a worker SIGKILLed at random moments of the drain, restarted under the same name.
    const kills: number[] = [];
    let worker = await startWorker(env);
    for (let kill = 0; kill < 3; kill++) {
      await sleep(100 + Math.floor(Math.random() * 400));
      if (await probe.drained()) break;
      expect((await worker.stop('SIGKILL')).signal).toBe('SIGKILL');
      running.delete(worker);
      kills.push((await probe.pendingIds()).length);
      worker = await startWorker(env);
    }
    await drained(probe);
    await expectStoredOnce('chunks-worker-sigkill', service, expected, probe, {
      chunks: 250,
      pendingAfterCrashAfterCommit: crashes,
      pendingAfterSigkill: kills,
    });
    expect(await probe.deadLetters()).toEqual([]);
    // Every chunk settled once: the entry counter is back to 0 (trimmed empty, or decremented to 0).
    await waitFor('entry counter at 0', async () => (await probe.entriesCounter()) === 0 || null, 5000, 100);
  }, 240000);

  it('dead-letters a poison entry inside a chunk alone, under <id>#<i>, and stores its neighbours once', async () => {
    const { streamKey, probe, startWorker } = setup('chunk-poison');
    const service = `chunk-poison-${suffix}`;
    await startWorker();
    await sleep(200);
    await schema.pool.query(
      `ALTER TABLE ${schema.schema}.logs ADD CONSTRAINT logs_no_chunk_poison CHECK (message NOT LIKE 'chunk-poison-%')`,
    );
    try {
      const good = Array.from({ length: 12 }, (_, i) => `good-${i}-${suffix}`);
      const poison = `chunk-poison-${suffix}`;
      const broken = '["not","an","entry"]';
      const poisonEntry = entry(service, poison);
      const values = [...good.slice(0, 5).map((m) => entry(service, m)), poisonEntry];
      const poisonedId = await append(streamKey, encodeLogChunk([...values, entry(service, good[5])]), 7);
      const brokenId = await append(
        streamKey,
        encodeLogChunkOfEncoded([
          ...good.slice(6, 9).map((m) => encodeChunkEntry(entry(service, m))),
          broken,
          ...good.slice(9).map((m) => encodeChunkEntry(entry(service, m))),
        ]),
        7,
      );
      // The same as entries sent by a client (version 4): one PostgreSQL refuses, one that breaks a rule.
      const sentGood = Array.from({ length: 4 }, (_, i) => `sent-good-${i}-${suffix}`);
      const sentPoison = submittedEntry(service, `chunk-poison-sent-${suffix}`);
      const sentBroken = { ...submittedEntry(service, `sent-broken-${suffix}`), level: 'loud' };
      const [g0, g1, g2, g3] = sentGood.map((m) => submittedEntry(service, m));
      const sentId = await append(streamKey, asSent([g0, sentPoison, g1, sentBroken, g2, g3]), 6);
      // And compressed, as ingest stores a large batch: one entry PostgreSQL refuses between two good ones.
      const zipGood = [`zip-good-0-${suffix}`, `zip-good-1-${suffix}`];
      const zipPoison = submittedEntry(service, `chunk-poison-zip-${suffix}`);
      const [z0, z1] = zipGood.map((m) => submittedEntry(service, m));
      const zipId = await append(streamKey, asSent([z0, zipPoison, z1]), 3, true);
      await drained(probe, 30000);
      await expectStoredOnce('chunks-poison-entry', service, [...good, ...sentGood, ...zipGood], probe, {
        deadLetters: 5,
      });
      const dead = await probe.deadLetters();
      const letters = dead.map((d) => [d['source-id'], d['data'], d['reason'].split(':')[0]]);
      const storedPoison = (await schema.pool.query(
        `SELECT 1 FROM ${schema.schema}.logs WHERE message = $1`,
        [sentPoison.message],
      )) as { rowCount: number };
      expect(storedPoison.rowCount).toBe(0);
      expect(letters.sort()).toEqual(
        [
          [`${poisonedId}#5`, encodeLogEntry(poisonEntry), 'rejected by PostgreSQL'],
          [`${brokenId}#3`, broken, 'undecodable'],
          [`${sentId}#1`, expect.stringContaining(sentPoison.message), 'rejected by PostgreSQL'],
          [`${sentId}#3`, JSON.stringify(sentBroken), 'undecodable'],
          [`${zipId}#1`, expect.stringContaining(zipPoison.message), 'rejected by PostgreSQL'],
        ].sort(),
      );
      expect(await probe.entriesCounter()).toBe(0);
    } finally {
      await schema.pool.query(`ALTER TABLE ${schema.schema}.logs DROP CONSTRAINT logs_no_chunk_poison`);
    }
  });

  it('drains a stream an older ingest left single entries (versions 1 and 2) and chunks (version 3) in, after an upgrade', async () => {
    const { streamKey, probe, startWorker } = setup('chunk-upgrade');
    const service = `chunk-upgrade-${suffix}`;
    const expected: string[] = [];
    const ids: Record<string, string> = {};
    // What the old ingest wrote: version 1 (before tenants) and version 2 values, never counted.
    for (let i = 0; i < 30; i++) {
      const message = `old-${i}`;
      expected.push(message);
      const v2 = encodeLogEntry(entry(service, message));
      const value = i % 2 === 0 ? v2 : JSON.stringify([1, ...(JSON.parse(v2) as unknown[]).slice(1, 10)]);
      ids[message] = (await redis.xadd(streamKey, '*', 'data', value)) as string;
    }
    // What the new ingest writes after the upgrade (version 4 chunks), interleaved with more old ones from
    // a second instance: single entries of the oldest ingest, and chunks (version 3, counted) of the last.
    for (let c = 0; c < 20; c++) {
      const messages = Array.from({ length: 5 }, (_, i) => `new-${c}-${i}`);
      expected.push(...messages);
      const id = await append(streamKey, asSent(messages.map((m) => submittedEntry(service, m))), 5);
      messages.forEach((m, i) => (ids[m] = `${id}#${i}`));
      const old = `old-late-${c}`;
      expected.push(old);
      ids[old] = (await redis.xadd(streamKey, '*', 'data', encodeLogEntry(entry(service, old)))) as string;
      const oldChunk = [`old-chunk-${c}-0`, `old-chunk-${c}-1`];
      expected.push(...oldChunk);
      const chunkId = await append(streamKey, chunkValue(0, service, oldChunk), 2);
      oldChunk.forEach((m, i) => (ids[m] = `${chunkId}#${i}`));
    }
    await startWorker({ BATCH_SIZE: '16' });
    await drained(probe, 30000);
    await expectStoredOnce('chunks-upgrade-v1-v2', service, expected, probe, {
      oldEntries: 50,
      oldChunks: 20,
      chunks: 20,
    });
    const { rows } = await schema.pool.query(
      `SELECT message, stream_id FROM ${schema.schema}.logs WHERE service = $1`,
      [service],
    );
    expect(
      Object.fromEntries(rows.map((r: { message: string; stream_id: string }) => [r.message, r.stream_id])),
    ).toEqual(ids);
    expect(await probe.deadLetters()).toEqual([]);
    // The old entries were never counted: the counter is clamped at 0, never negative.
    expect(await probe.entriesCounter()).toBe(0);
  });
});
