// A small keep-alive HTTP client for what wrk cannot do: pre-filling a backlog with exact counts, and
// sending at a fixed rate while recording when each answer came back.
import http from 'node:http';

export function keepAliveAgent(maxSockets) {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/** POSTs one body; resolves { status, body, at } where `at` is performance.now() of the answer. */
export function post(url, body, headers, agent) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: { ...headers, 'content-length': body.length },
    });
    request.once('error', reject);
    request.once('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.once('end', () => resolve({ status: response.statusCode, body: text, at: performance.now() }));
      response.once('error', reject);
    });
    request.end(body);
  });
}

/**
 * Sends `count` requests built by `bodyFor(i)` with at most `concurrency` in flight; resolves with the
 * number of 2xx answers and a tally of the others. Used to pre-fill a backlog through the real API.
 */
export async function postMany({ url, headers, count, concurrency, bodyFor }) {
  const agent = keepAliveAgent(concurrency);
  let next = 0;
  let ok = 0;
  const failures = {};
  const lane = async () => {
    while (next < count) {
      const i = next;
      next += 1;
      try {
        const { status } = await post(url, bodyFor(i), headers, agent);
        if (status >= 200 && status < 300) ok += 1;
        else failures[status] = (failures[status] ?? 0) + 1;
      } catch (error) {
        failures[error.code ?? 'error'] = (failures[error.code ?? 'error'] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  agent.destroy();
  return { ok, failures };
}
