// Syslog TCP: octet-counted RFC 5424 messages over a few long-lived TCP connections through nginx's
// stream proxy to both ingest instances (docs/protocols/syslog.md), measured like the HTTP batch runs,
// with one difference: syslog has no answer, and a sender's write completes once the kernel (and nginx)
// buffered it, which on loopback is hundreds of thousands of messages ahead of ingest. So the run lasts
// until Redis has accepted every message written, and entries/s is messages / that time: the rate into
// the stream, as a 202 is for HTTP. The exactly-once check then reads rows == accepted == written.
// Issue 15's target: at least 80% of /api/logs json-1000 entries/s in the same run.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { measuredLoad } from '../lib/measure.mjs';
import { pollUntil } from '../lib/sleep.mjs';

const SENDER = fileURLToPath(new URL('../lib/syslog-sender.mjs', import.meta.url));
const CONNECTIONS = 8;
/** Messages per run at most (the sender also stops after the batch run time). */
const MAX_MESSAGES = 200000;

function runSender({ address, connections, durationS, onSpawn }) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [SENDER, address, String(connections), String(durationS), String(MAX_MESSAGES)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.once('spawn', () => onSpawn?.(child.pid));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) {
        reject(new Error(`syslog sender exited ${code}: ${err}`));
        return;
      }
      const result = JSON.parse(out.trim());
      // The fields measuredLoad reports for wrk; a syslog message has no answer, hence no latency.
      resolve({ ...result, p50Ms: Number.NaN, p99Ms: Number.NaN, non2xx: 0 });
    });
  });
}

/** Runs the sender, then waits until Redis has accepted all it wrote; the duration covers both. */
async function sendUntilAccepted(ctx, { address, connections, durationS, onSpawn }) {
  const { probe, opts } = ctx;
  const started = performance.now();
  const added0 = await probe.entriesAdded();
  const sent = await runSender({ address, connections, durationS, onSpawn });
  await pollUntil(async () => (await probe.entriesAdded()) - added0 >= sent.ok, {
    intervalMs: 20,
    timeoutMs: opts.drainTimeoutS * 1000,
  });
  const seconds = (performance.now() - started) / 1000;
  return { ...sent, writeSeconds: sent.durationS, durationS: seconds, rps: sent.ok / seconds };
}

export async function syslogTcpScenario(ctx) {
  const { opts, stack } = ctx;
  const address = stack.urls.SYSLOG_ADDR;
  const runs = [];
  for (let i = 0; i < opts.runs; i += 1) {
    runs.push(
      await measuredLoad(ctx, {
        phase: `syslog tcp ${i + 1}/${opts.runs}`,
        durationS: opts.batchSeconds,
        entriesPerRequest: 1,
        // Every message written is accepted before the run ends: none may be missing or extra.
        connections: 0,
        trackMemory: true,
        load: (onSpawn) =>
          sendUntilAccepted(ctx, {
            address,
            connections: CONNECTIONS,
            durationS: opts.batchSeconds,
            onSpawn,
          }),
      }),
    );
  }
  return { connections: CONNECTIONS, durationS: opts.batchSeconds, address, runs };
}
