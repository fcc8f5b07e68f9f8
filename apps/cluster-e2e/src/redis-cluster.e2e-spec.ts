import {
  type ServiceProcess,
  sleep,
  startIngest,
  startWorker,
  suiteWorkerEnv,
  TestSchema,
  waitFor,
} from '@logpipe/e2e-support';
import { PrivateRedisCluster, shardTag } from '@logpipe/stream-client/testing';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { KeyedLoad, LARGE_BATCH } from './support/keyed-load';

const SHARDS = 3;

/**
 * Issue 13, "Redis Cluster": a real cluster (3 masters + 3 replicas, AOF on, cluster-node-timeout
 * 2 s), the stream split over 3 hash-tagged shards, 2 ingest and 3 worker processes. Entries are
 * reconciled by key (their message) against PostgreSQL: every 2xx entry stored, nothing stored twice.
 */
describe('Logpipe on a Redis Cluster', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `cluster:${suffix}:stream`;
  const deadKey = `cluster:${suffix}:dead`;
  const schema = new TestSchema('cluster_e2e');
  const processes: ServiceProcess[] = [];
  let cluster: PrivateRedisCluster;
  let ingests: ServiceProcess[] = [];

  const redisEnv = (shards = SHARDS) => ({
    REDIS_CLUSTER_NODES: cluster.seeds,
    STREAM_SHARDS: String(shards),
    STREAM_KEY: streamKey,
    DEAD_LETTER_STREAM: deadKey,
  });

  /** message -> how many rows hold it, for one load's entries. */
  async function storedCounts(load: KeyedLoad): Promise<Map<string, number>> {
    const { rows } = await schema.pool.query<{ message: string; n: number }>(
      'SELECT message, count(*)::int AS n FROM logs WHERE service = $1 GROUP BY message',
      [load.service],
    );
    return new Map(rows.map((row) => [row.message, row.n]));
  }

  /** Waits until every acknowledged key is stored, then checks none is stored twice (by key). */
  async function expectEveryAckedStoredOnce(load: KeyedLoad): Promise<void> {
    const acked = load.acked;
    const counts = await waitFor(
      `all ${acked.length} accepted entries in PostgreSQL`,
      async () => {
        const stored = await storedCounts(load);
        return acked.every((key) => stored.has(key)) ? stored : null;
      },
      45000,
      250,
    );
    const missing = acked.filter((key) => !counts.has(key));
    const twice = [...counts].filter(([, n]) => n > 1).map(([key]) => key);
    expect({ missing, twice }).toEqual({ missing: [], twice: [] });
  }

  beforeAll(async () => {
    await schema.create();
    cluster = await PrivateRedisCluster.start({ masters: 3, nodeTimeoutMs: 2000 });
    // The first worker migrates the schema; the others start once it is ready.
    for (const n of [1, 2, 3]) {
      processes.push(
        await startWorker(
          `cluster-worker-${n}`,
          suiteWorkerEnv(
            { streamKey, deadKey, schema: schema.name },
            {
              ...redisEnv(),
              WORKER_NAME: `cluster-worker-${suffix}-${n}`,
              CLAIM_IDLE_MS: '3000',
              CLAIM_INTERVAL_MS: '1000',
              RETRY_BASE_MS: '100',
              RETRY_MAX_MS: '1000',
            },
          ),
        ),
      );
    }
    ingests = await Promise.all(
      [1, 2].map((n) => startIngest(`cluster-ingest-${n}`, { ...redisEnv(), RETRY_AFTER_SECONDS: '1' })),
    );
    processes.push(...ingests);
  }, 90000);

  afterAll(async () => {
    await Promise.all(processes.map((process) => process.stop('SIGTERM', 10000)));
    await cluster?.destroy();
    await schema.drop();
  });

  it('stores every accepted entry exactly once across 3 shards with 3 workers and 2 ingest instances', async () => {
    const load = new KeyedLoad(`cluster-once-${suffix}`, () => ingests.map((i) => i.url), {
      durationMs: 8000,
      maxRequests: 600,
      lanes: 4,
      pauseMs: 5,
    });
    await load.done;

    expect(load.statuses()).toEqual({ '202': load.answers.length });
    await expectEveryAckedStoredOnce(load);
    // Round-robin per request: every shard received entries.
    const { rows } = await schema.pool.query<{ shard: string }>(
      "SELECT DISTINCT split_part(stream_id, ':', 1) AS shard FROM logs WHERE service = $1",
      [load.service],
    );
    expect(rows.map((row) => row.shard).sort()).toEqual(['s0', 's1', 's2']);
    // The shards' hash tags spread them one per master of the evenly split 3-master cluster.
    const masters = await Promise.all(
      [0, 1, 2].map(
        async (index) => (await cluster.masterOf(await cluster.keySlot(`{${shardTag(index, SHARDS)}}`))).port,
      ),
    );
    expect(new Set(masters).size).toBe(3);
  });

  // Before the failover test: afterwards one master has no replica left, and WAIT 1 could not succeed.
  it('REDIS_WAIT_REPLICAS=1: every 202 entry was confirmed by a replica; what it costs per request', async () => {
    const waiting = await startIngest('cluster-ingest-wait', { ...redisEnv(), REDIS_WAIT_REPLICAS: '1' });
    processes.push(waiting);
    const measure = async (name: string, url: string, maxRequests: number) => {
      const load = new KeyedLoad(`cluster-${name}-${suffix}`, () => [url], {
        durationMs: 20000,
        maxRequests,
        lanes: 2,
        pauseMs: 0,
      });
      await load.done;
      const sorted = load.answers.map((answer) => answer.ms).sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.floor(q * (sorted.length - 1))].toFixed(1);
      return { load, median: at(0.5), p95: at(0.95) };
    };
    // Warm both instances up first (JIT, connections), then measure them one after the other.
    await measure('warm-nowait', ingests[0].url, 50);
    await measure('warm-wait', waiting.url, 50);
    const plain = await measure('nowait', ingests[0].url, 300);
    const waited = await measure('wait', waiting.url, 300);

    expect(waited.load.statuses()).toEqual({ '202': waited.load.answers.length });
    await expectEveryAckedStoredOnce(waited.load);
    console.log(
      `CLUSTER WAIT cost: 300 requests (half single entries, half batches of 2-10 or, one request in ten, ${LARGE_BATCH}), 2 lanes, latency median/p95: ${plain.median}/${plain.p95} ms without WAIT, ${waited.median}/${waited.p95} ms with REDIS_WAIT_REPLICAS=1; load average ${loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')}`,
    );
  });

  it('a master SIGKILLed under load: 503 + Retry-After until its replica is promoted, then 2xx again by itself; every 2xx stored exactly once', async () => {
    const slot = await cluster.keySlot(`{${shardTag(0, SHARDS)}}`);
    const victim = await cluster.masterOf(slot);
    const load = new KeyedLoad(`cluster-failover-${suffix}`, () => ingests.map((i) => i.url), {
      durationMs: 25000,
      maxRequests: 4000,
      lanes: 4,
      pauseMs: 20,
    });
    await sleep(1500);
    const killedAt = Date.now();
    await cluster.kill(victim.port);
    // Promoted: another node serves the slot (after cluster-node-timeout and the replica's election).
    await waitFor(
      'the replica promoted',
      async () => (await cluster.masterOf(slot).catch(() => victim)).port !== victim.port,
      20000,
      100,
    );
    await cluster.waitUntilHealthy(20000);
    const promotedAt = Date.now();
    // Back to 2xx by itself: a few requests answered 202 after the promotion, with no restart.
    await waitFor(
      'ingest accepting again after the failover',
      async () => load.answers.filter((a) => a.at > promotedAt + 3000 && a.status === 202).length >= 20,
      20000,
      200,
    );
    await load.finish();

    const during = load.answers.filter((a) => a.at >= killedAt && a.status !== 202);
    expect(during.length).toBeGreaterThan(0);
    // Refusals in between are 503 + Retry-After, never a 500 or a hang.
    expect(during.filter((a) => a.status !== 503 || a.retryAfter === null)).toEqual([]);
    const afterwards = load.answers.filter((a) => a.at > promotedAt + 3000);
    expect(afterwards.length).toBeGreaterThan(0);
    expect(afterwards.filter((a) => a.status !== 202)).toEqual([]);
    await expectEveryAckedStoredOnce(load);
    // Nothing stored twice, the refused entries included.
    const stored = await storedCounts(load);
    expect([...stored.values()].filter((n) => n > 1)).toEqual([]);
    // Workers still running, i.e. they resumed rather than died.
    expect(processes.every((process) => process.isRunning)).toBe(true);
    console.log(
      `CLUSTER failover: killed master :${victim.port}, promoted after ${promotedAt - killedAt} ms, answers ${JSON.stringify(load.statuses())}, accepted ${load.acked.length} entries`,
    );
  });

  it('refuses to start with a different shard count, saying how to change it', async () => {
    const wrong = await startWorker(
      'cluster-worker-wrong-shards',
      suiteWorkerEnv({ streamKey, deadKey, schema: schema.name }, redisEnv(2)),
      false,
    );
    const exit = await wrong.exitWithin(30000);
    if (exit === null) await wrong.stop('SIGKILL');
    expect(exit?.code).toBe(1);
    expect(wrong.logs()).toContain('shards=3;keys=tagged');
    expect(wrong.logs()).toMatch(
      /Changing STREAM_SHARDS .* is not supported: stop ingest, let the workers drain/,
    );
  });
});
