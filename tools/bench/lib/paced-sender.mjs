// An open-loop client: sends requests at a fixed rate whatever the server's latency (a closed loop like
// wrk's would slow down with the server and hide queueing). wrk2 would do this, but is not packaged.
import { keepAliveAgent, post } from './http-client.mjs';

/**
 * Sends `ratePerS` requests per second for `durationS` seconds, request k due at t0 + k / ratePerS.
 * `bodyFor(seq)` builds each body; `onAnswer({ seq, status, at })` is called per answer. Requests beyond
 * `maxOutstanding` unanswered are not sent but counted as `skipped`, so a stalled server cannot make the
 * client itself run out of memory. Resolves after every request sent has been answered or failed.
 */
export async function sendPaced({
  url,
  headers,
  ratePerS,
  durationS,
  maxSockets,
  maxOutstanding = 20000,
  bodyFor,
  onAnswer,
}) {
  const agent = keepAliveAgent(maxSockets);
  const total = Math.round(ratePerS * durationS);
  const t0 = performance.now();
  const inFlight = new Set();
  const tally = { sent: 0, skipped: 0, statuses: {}, errors: 0, sentAt: [] };
  let seq = 0;
  while (seq < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * ratePerS) + 1);
    for (; seq < due; seq += 1) {
      if (inFlight.size >= maxOutstanding) {
        tally.skipped += 1;
        continue;
      }
      const current = seq;
      tally.sent += 1;
      tally.sentAt.push((performance.now() - t0) / 1000);
      const request = post(url, bodyFor(current), headers, agent).then(
        ({ status, at }) => {
          tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
          onAnswer({ seq: current, status, at });
        },
        () => {
          tally.errors += 1;
        },
      );
      inFlight.add(request);
      request.finally(() => inFlight.delete(request));
    }
    const nextDue = t0 + (seq / ratePerS) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextDue - performance.now())));
  }
  await Promise.allSettled([...inFlight]);
  agent.destroy();
  return { ...tally, t0, durationS: (performance.now() - t0) / 1000 };
}
