// Realistic log entries of about 300 bytes (timestamp, level, service, message, a nested `attributes`
// object), generated from a seeded PRNG so every run sends the same bytes, and the request bodies the
// scenarios send: one entry as JSON, batches as a JSON array or as gzip-compressed NDJSON.
import { gzipSync } from 'node:zlib';

const LEVELS = ['debug', 'info', 'info', 'info', 'info', 'warn', 'error'];
const SERVICES = ['checkout-api', 'auth-service', 'inventory', 'billing-worker', 'gateway'];
const PATHS = ['/v1/orders', '/v1/login', '/v1/items/42', '/v1/invoices', '/v1/cart'];
const METHODS = ['GET', 'POST', 'POST', 'PUT'];
const STATUSES = [200, 200, 201, 204, 400, 404, 500];
const BASE_TIME = Date.parse('2026-01-15T10:00:00.000Z');

/** mulberry32: tiny, seedable, good enough to vary test data. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(random, length) {
  let out = '';
  for (let i = 0; i < length; i += 1) out += Math.floor(random() * 16).toString(16);
  return out;
}

function pick(random, list) {
  return list[Math.floor(random() * list.length)];
}

function uuid(random) {
  const h = hex(random, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

/** Entry number `index` of the deterministic sequence (about 300 bytes as JSON). */
export function makeEntry(index, random = seededRandom(index + 1)) {
  const customer = 10000 + Math.floor(random() * 89999);
  const items = 1 + Math.floor(random() * 9);
  return {
    timestamp: new Date(BASE_TIME + index * 7).toISOString(),
    level: pick(random, LEVELS),
    service: pick(random, SERVICES),
    message: `Order ${10000 + Math.floor(random() * 89999)} placed for customer ${customer}: ${items} items, total ${(5 + random() * 495).toFixed(2)} EUR`,
    attributes: {
      request_id: uuid(random),
      user_id: customer,
      http: {
        method: pick(random, METHODS),
        path: pick(random, PATHS),
        status: pick(random, STATUSES),
        duration_ms: Math.round(random() * 3000) / 10,
      },
    },
  };
}

/** `count` consecutive entries starting at `first`. */
export function makeEntries(count, first = 0) {
  const random = seededRandom(first + 1);
  return Array.from({ length: count }, (_, i) => makeEntry(first + i, random));
}

/** The request bodies of the scenarios, keyed by name, with the entries each holds. */
export function makeBodies({ batchSizes }) {
  const bodies = {
    single: { format: 'json', entries: 1, body: Buffer.from(JSON.stringify(makeEntry(0))) },
  };
  for (const size of batchSizes) {
    const entries = makeEntries(size);
    bodies[`json-${size}`] = { format: 'json', entries: size, body: Buffer.from(JSON.stringify(entries)) };
    const ndjson = `${entries.map((entry) => JSON.stringify(entry)).join('\n')}\n`;
    bodies[`ndjson-gzip-${size}`] = { format: 'ndjson-gzip', entries: size, body: gzipSync(ndjson) };
  }
  return bodies;
}

/** Request headers that go with a body format. */
export function headersFor(format) {
  if (format === 'ndjson-gzip') {
    return { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' };
  }
  // OTLP protobuf and Loki's snappy-compressed protobuf (snappy is part of Loki's body, not an encoding).
  if (format === 'protobuf') return { 'content-type': 'application/x-protobuf' };
  // Elasticsearch bulk: action and source lines.
  if (format === 'ndjson') return { 'content-type': 'application/x-ndjson' };
  return { 'content-type': 'application/json' };
}
