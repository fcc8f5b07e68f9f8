import {
  freePort,
  type ServiceProcess,
  startIngest,
  startWorker,
  suiteWorkerEnv,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  TestSchema,
  waitFor,
} from '@logpipe/e2e-support';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricValue, scrape } from './support/metrics';
import { sendTcp, sendUdp } from './support/senders';
import { type Daemon, startRsyslog } from './support/syslog-daemons';

const HIGH_WATER = 200;
const BATCH = 100;

/**
 * What syslog does when the pipeline is behind. TCP: the listener stops reading (flow control), the
 * sender queues, and everything lands once the worker catches up. UDP: nothing can push back, so
 * what is not stored is counted, and the count is exact.
 */
describe('syslog backpressure', () => {
  const suffix = randomBytes(4).toString('hex');
  const streamKey = `syslog-bp-e2e:${suffix}:stream`;
  const deadKey = `syslog-bp-e2e:${suffix}:dead`;
  const schema = new TestSchema('syslog_bp_e2e');
  const redis = new Redis(TEST_REDIS_URL);
  const workDir = mkdtempSync(join(tmpdir(), 'logpipe-syslog-bp-'));
  let ingest: ServiceProcess;
  let worker: ServiceProcess;
  let rsyslog: Daemon | undefined;
  let port = 0;

  const count = (marker: string) => schema.count('message LIKE $1', [`%${marker}%`]);

  beforeAll(async () => {
    port = await freePort();
    await schema.create();
    ingest = await startIngest(`syslog-bp-ingest-${suffix}`, {
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: streamKey,
      DATABASE_URL: TEST_DATABASE_URL,
      DB_SCHEMA: schema.name,
      BACKLOG_HIGH_WATER: String(HIGH_WATER),
      BACKLOG_LOW_WATER: '20',
      BACKLOG_CHECK_INTERVAL_MS: '50',
      SYSLOG_ENABLED: 'true',
      SYSLOG_TCP_PORT: String(port),
      SYSLOG_UDP_PORT: String(port),
      SYSLOG_BATCH_ENTRIES: String(BATCH),
    });
    worker = await startWorker(
      `syslog-bp-worker-${suffix}`,
      suiteWorkerEnv({ streamKey, deadKey, schema: schema.name }),
    );
  });

  afterEach(async () => {
    // A test that failed with the worker stopped must not leave it stopped for the next one.
    if (worker?.isRunning) process.kill(worker.pid, 'SIGCONT');
    await rsyslog?.stop();
    rsyslog = undefined;
  });

  afterAll(async () => {
    await worker?.stop();
    await ingest?.stop();
    await schema.drop();
    await redis.del(streamKey, deadKey);
    redis.disconnect();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('TCP: over the high-water mark the listener stops reading, rsyslog queues, and every message lands once the worker catches up', async () => {
    const marker = `bp-tcp-${suffix}`;
    const total = 3000;
    const input = await freePort();
    rsyslog = startRsyslog(
      join(workDir, 'rsyslog'),
      `module(load="imtcp")
input(type="imtcp" port="${input}" address="127.0.0.1" ruleset="forward")
ruleset(name="forward") {
  action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp" tcp_framing="octet-counted"
    template="RSYSLOG_SyslogProtocol23Format" queue.type="LinkedList" queue.size="100000"
    action.resumeRetryCount="-1" action.resumeInterval="1")
}
`,
    );
    await rsyslog.waitListening(input);
    const before = await scrape(ingest.url);
    process.kill(worker.pid, 'SIGSTOP');
    const lines = Array.from(
      { length: total },
      (_, i) => `<14>Nov 29 12:00:00 host app: message ${i} ${marker}\n`,
    );
    await sendTcp(input, lines.join(''));

    // The backlog reaches the mark and stays near it: the listener paused instead of queueing more.
    await waitFor(
      'the syslog listener to pause',
      async () => {
        const page = await scrape(ingest.url);
        return (
          metricValue(page, 'logpipe_syslog_backpressure_pauses_total') >
          metricValue(before, 'logpipe_syslog_backpressure_pauses_total')
        );
      },
      60000,
      100,
    );
    // In log entries: a syslog batch goes to Redis as a chunk (one stream entry).
    const backlog = Number((await redis.get(`${streamKey}:entries`)) ?? 0);
    expect(backlog).toBeGreaterThanOrEqual(HIGH_WATER - BATCH);
    // At most one batch past the mark (admission counts the batch that crosses it).
    expect(backlog).toBeLessThanOrEqual(HIGH_WATER + BATCH);
    expect(backlog).toBeLessThan(total);
    expect(await count(marker)).toBe(0);

    process.kill(worker.pid, 'SIGCONT');
    await waitFor(`all ${total} messages stored`, async () => (await count(marker)) >= total, 120000, 250);
    expect(await count(marker)).toBe(total);
    const { rows } = await schema.pool.query<{ n: number }>(
      'SELECT count(DISTINCT message)::int AS n FROM logs WHERE message LIKE $1',
      [`%${marker}%`],
    );
    expect(rows[0].n).toBe(total);
  });

  it('UDP: under overload (backlog over the high-water mark) the drop counters equal exactly what is missing', async () => {
    const marker = `bp-udp-${suffix}`;
    const total = 1000;
    await waitFor('the backlog to drain', async () => (await redis.xlen(streamKey)) === 0, 60000, 100);
    const before = await scrape(ingest.url);
    process.kill(worker.pid, 'SIGSTOP');
    await sendUdp(
      port,
      Array.from({ length: total }, (_, i) => `<14>Nov 29 12:00:00 host app: datagram ${i} ${marker}`),
      50,
      2,
    );
    const accounted = async () => {
      const page = await scrape(ingest.url);
      const delta = (name: string, labels: Record<string, string> = {}) =>
        metricValue(page, name, labels) - metricValue(before, name, labels);
      return {
        received: delta('logpipe_syslog_messages_received_total', { transport: 'udp' }),
        kernel: delta('logpipe_syslog_udp_kernel_drops'),
        dropped: delta('logpipe_syslog_messages_dropped_total', { transport: 'udp' }),
      };
    };
    // Every datagram is either received by the listener or counted as dropped by the kernel.
    await waitFor(
      'every datagram accounted for',
      async () => {
        const seen = await accounted();
        return seen.received + seen.kernel === total;
      },
      30000,
      100,
    );
    process.kill(worker.pid, 'SIGCONT');
    await waitFor('the backlog to drain', async () => (await redis.xlen(streamKey)) === 0, 60000, 100);
    const { kernel, dropped } = await accounted();
    await waitFor(
      'stored + dropped = sent',
      async () => (await count(marker)) + dropped + kernel === total,
      30000,
      200,
    );
    expect(dropped + kernel).toBeGreaterThan(0);
    expect((await count(marker)) + dropped + kernel).toBe(total);
  });
});
