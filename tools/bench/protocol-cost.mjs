#!/usr/bin/env node
// CPU cost per entry of each way in, without Redis, nginx or the network: in one process, the same
// 1,000-entry bodies the bench's protocols scenario sends go through the real ingest code (the
// controllers, LogIngestService with its validation and stream encoding) up to the values that would be
// XADDed, and the harness reports microseconds of CPU per entry (process.cpuUsage, so other load on the
// machine changes it far less than wall time), GC time per entry, and the stream value's bytes per
// entry (what Redis, the worker and PostgreSQL then carry).
//
//   node tools/bench/protocol-cost.mjs [--rounds 9] [--requests 24] [--concurrency 8] [--only api-json-1000,loki-protobuf-1000]
//   node --cpu-prof --cpu-prof-dir=.bench/prof tools/bench/protocol-cost.mjs --only es-bulk-1000
//
// The TypeScript sources run through ts-node (transpile only, the same tsc output the webpack build
// bundles); the @logpipe/* aliases resolve through tsconfig.base.json's paths.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { makeBodies } from './lib/payload.mjs';
import { tsRequire } from './lib/ts-sources.mjs';
import { INGEST_NODE_ARGS, INGEST_NODE_OPTIONS } from '../stack/lib/apps.mjs';
import { makeBulkBody } from './payloads/es-bulk.mjs';
import { makeLokiProtobufBody } from './payloads/loki-protobuf.mjs';
import { makeOtlpProtobufBody } from './payloads/otlp-protobuf.mjs';
import { makeSyslogChunks, SYSLOG_MESSAGES } from './payloads/syslog-tcp.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

function parseArgs(argv) {
  const opts = { rounds: 9, warmup: 3, requests: 24, concurrency: 8, only: null };
  for (let i = 0; i < argv.length; i++) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (name === '--rounds') opts.rounds = Number(value);
    else if (name === '--warmup') opts.warmup = Number(value);
    else if (name === '--requests') opts.requests = Number(value);
    else if (name === '--concurrency') opts.concurrency = Number(value);
    else if (name === '--only') opts.only = new Set(value.split(','));
    else if (name === '--help') {
      process.stdout.write(
        'node tools/bench/protocol-cost.mjs [--rounds N] [--warmup N] [--requests N] [--concurrency N] [--only a,b]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${name}`);
    i++;
  }
  return opts;
}

/** The ingest sources this harness runs (tools/bench/lib/ts-sources.mjs loads TypeScript). */
function loadSources() {
  const require = tsRequire();
  const app = (path) => require(join(repoRoot, 'apps/ingest/src/app', path));
  return {
    LogIngestService: app('logs/log-ingest.service.ts').LogIngestService,
    LogsController: app('logs/logs.controller.ts').LogsController,
    bodyParsers: app('http/body-parsers.ts'),
    OtlpLogsController: app('otlp/otlp-logs.controller.ts').OtlpLogsController,
    LokiPushController: app('loki/loki-push.controller.ts').LokiPushController,
    ElasticsearchBulkController: app('elasticsearch/elasticsearch-bulk.controller.ts')
      .ElasticsearchBulkController,
    IngestOutcome: app('metrics/ingest-outcome.ts').IngestOutcome,
    IngestMetrics: app('metrics/ingest.metrics.ts').IngestMetrics,
    SyslogMetrics: app('syslog/syslog.metrics.ts').SyslogMetrics,
    SyslogIntake: app('syslog/syslog-intake.ts').SyslogIntake,
    SyslogTenants: app('syslog/syslog-tenants.ts').SyslogTenants,
    SyslogBatchWriter: app('syslog/syslog-batch.writer.ts').SyslogBatchWriter,
    SyslogFramer: require(join(repoRoot, 'libs/protocols/syslog/src/index.ts')).SyslogFramer,
    wireText: require(join(repoRoot, 'libs/protocols/wire-text/src/index.ts')),
    logSchema: require(join(repoRoot, 'libs/log-schema/src/index.ts')),
  };
}

/**
 * CONFIG and the chunk limits ingest defaults to (CHUNK_MAX_ENTRIES, CHUNK_MAX_BYTES), read from the
 * sources: without them LogIngestService wrote each request as one chunk, not as the stack does.
 */
function configOf(src) {
  const settings = {
    ...CONFIG,
    CHUNK_MAX_ENTRIES: src.logSchema.DEFAULT_CHUNK_MAX_ENTRIES,
    CHUNK_MAX_BYTES: src.logSchema.DEFAULT_CHUNK_MAX_BYTES,
  };
  return { get: (key) => settings[key] };
}

// The settings the bench's stack runs with (tools/stack defaults, ENTRY_MAX_AGE=0 as the bench sets it);
// configOf adds ingest's default chunk limits.
const CONFIG = {
  MAX_BATCH_ENTRIES: 10000,
  MAX_BODY_BYTES: 10 * 1024 * 1024,
  ENTRY_MAX_AGE: 0,
  ENTRY_MAX_FUTURE: 0,
  SYSLOG_BATCH_ENTRIES: 500,
};

/**
 * What replaces Redis: counts the log entries and the stream values' bytes, as StreamProducer's
 * appendChunks (a request's chunks) and append (one entry) take them.
 */
class CountingProducer {
  /** log entries (a chunk counts its entries) */
  values = 0;
  /** stream values (one XADD each: a chunk, or a single entry) */
  streamValues = 0;
  bytes = 0;
  sample = null;
  /** PROTOCOL_COST_DUMP=<dir>: every stream value of the last round per variant, to compare two builds. */
  dump = process.env.PROTOCOL_COST_DUMP ? [] : null;
  async appendChunks(values, entryCount) {
    // Resolved on a later turn, as Redis answers: requests in flight together keep their objects alive
    // together, as they do in ingest under load (which is what makes a 2 MB semi-space promote them).
    await new Promise((resolve) => setImmediate(resolve));
    this.values += entryCount;
    this.streamValues += values.length;
    for (const value of values) this.bytes += Buffer.byteLength(value);
    // Copies, as Redis keeps: ingest reuses a value's Buffer once its append has resolved (its frame pool).
    const kept = (value) => (typeof value === 'string' ? value : Buffer.from(value));
    this.sample ??= kept(values[0]);
    this.dump?.push(...values.map(kept));
    return values.map(() => '0-0');
  }
  async appendMany(values) {
    return this.appendChunks(values, values.length);
  }
  async append(value) {
    return (await this.appendChunks([value], 1))[0];
  }
}

/** The entries of a stream value (version 2: one entry; versions 3 and 4: a chunk), as the worker reads them. */
function entriesOf(src, value) {
  return src.logSchema.decodeStreamValue(String(value)).slots.map((slot) => {
    if (!slot.ok) throw slot.error;
    return slot.entry;
  });
}

function buildIngest(src, producer) {
  const config = configOf(src);
  const backlog = { assertAccepting() {}, admit: (_count, append) => append() };
  const quota = { take() {} };
  // Ingest's frame pool, half its default in-flight budget (ingest-core.module.ts).
  return new src.LogIngestService(
    producer,
    backlog,
    config,
    quota,
    new src.logSchema.BodyFramePool(4 * 1024 * 1024),
  );
}

/** The request bodies of the protocols scenario (tools/bench/scenarios/protocols.mjs) and a syslog stream. */
async function variants(src, ingest) {
  const config = configOf(src);
  const logs = new src.LogsController(ingest);
  const otlp = new src.OtlpLogsController(ingest);
  const loki = new src.LokiPushController(ingest, config);
  const es = new src.ElasticsearchBulkController(ingest);
  const reply = { header() {} };
  const bodies = makeBodies({ batchSizes: [1000] });
  const json = bodies['json-1000'].body;
  const ndjsonGzip = bodies['ndjson-gzip-1000'].body;
  const otlpBody = await makeOtlpProtobufBody(1000);
  const lokiBody = makeLokiProtobufBody(1000);
  const esBody = Buffer.from(makeBulkBody(1000));

  const metrics = new src.IngestMetrics();
  const syslogMetrics = new src.SyslogMetrics(metrics);
  const writer = new src.SyslogBatchWriter(ingest, syslogMetrics, metrics);
  const settings = {
    keyElementId: 'logpipe@32473',
    timeZone: 'UTC',
    maxMessageBytes: 65536,
    maxLineBytes: 65536,
    batchEntries: CONFIG.SYSLOG_BATCH_ENTRIES,
    timeLimits: { maxAgeMs: CONFIG.ENTRY_MAX_AGE, maxFutureMs: CONFIG.ENTRY_MAX_FUTURE },
  };
  const tenants = new src.SyslogTenants({ isOpen: true, tenantOf: () => null });
  const intake = new src.SyslogIntake(settings, tenants, syslogMetrics, writer);
  const syslogChunks = makeSyslogChunks();

  const esBulk = (name, messageField) => ({
    name,
    bodyBytes: esBody.length,
    entries: 1000,
    // The answer (an item per document) as Fastify sends it: JSON text as is, an object through
    // JSON.stringify.
    run: async () => {
      const answer = await es.postBulk(
        undefined,
        esBody,
        'application/x-ndjson',
        messageField,
        'default',
        new src.IngestOutcome(),
        reply,
      );
      return typeof answer === 'string' ? answer : JSON.stringify(answer);
    },
  });

  return [
    {
      name: 'api-json-1000',
      bodyBytes: json.length,
      entries: 1000,
      // body-parsers.ts: strict UTF-8, then JSON without prototype-pollution keys (searched for in the
      // bytes first, as there); the array's text is queued as sent.
      run: async () => JSON.stringify(await logs.submitMany(src.bodyParsers.parseJsonBody(json), 'default')),
    },
    {
      // The same entries as gzip NDJSON, decompressed (ingest streams it through zlib) and read line by line.
      name: 'api-ndjson-gzip-1000',
      bodyBytes: ndjsonGzip.length,
      entries: 1000,
      run: async () =>
        JSON.stringify(
          await logs.submitMany(src.bodyParsers.parseNdjsonBody(gunzipSync(ndjsonGzip)), 'default'),
        ),
    },
    {
      name: 'otlp-protobuf-1000',
      bodyBytes: otlpBody.length,
      entries: 1000,
      run: () => otlp.export(otlpBody, 'application/x-protobuf', 'default', new src.IngestOutcome(), reply),
    },
    {
      name: 'loki-protobuf-1000',
      bodyBytes: lokiBody.length,
      entries: 1000,
      run: () => loki.push(lokiBody, 'application/x-protobuf', 'default', new src.IngestOutcome()),
    },
    esBulk('es-bulk-1000', undefined),
    // The same body and entries with `_msg_field=message`: mapped by the general field search instead of
    // in one pass (libs/protocols/elasticsearch one-pass-mapping.ts), to measure what the shortcut saves.
    esBulk('es-bulk-1000-searched', 'message'),
    {
      // SyslogConnection's path: framer -> intake (parse, map, tenant) -> batches -> writer.write.
      name: 'syslog-tcp-1000',
      bodyBytes: syslogChunks.reduce((sum, chunk) => sum + chunk.length, 0),
      entries: SYSLOG_MESSAGES,
      // As SyslogConnection.pump does: each read's messages are queued (in batches of at most
      // SYSLOG_BATCH_ENTRIES) before the socket is read again.
      run: async () => {
        const framer = new src.SyslogFramer(settings);
        for (const chunk of syslogChunks) {
          const pending = [];
          for (const event of framer.push(chunk)) {
            const taken = intake.take(event.frame, 'tcp', undefined, 'bench');
            if (taken !== null) pending.push(taken);
          }
          while (pending.length > 0) {
            const batch = pending.splice(0, settings.batchEntries);
            await writer.write(
              'default',
              batch.map((taken) => taken.entry),
              'tcp',
            );
          }
        }
      },
    },
  ];
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// GC entries reach the observer a little after the collection; a timer tick delivers them.
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Leaf values of a JSON tree (how many attributes an entry carries, whatever their nesting). */
function leaves(value) {
  if (value === null || typeof value !== 'object') return 1;
  return Object.values(value).reduce((sum, item) => sum + leaves(item), 0);
}

/**
 * Runs the harness in a child with ingest's own heap settings (a 2 MB semi-space makes a 1,000-entry
 * request's objects outlive scavenges, which is much of ingest's GC) and --expose-gc (a full collection
 * before each measured batch, so one variant's garbage is not billed to the next).
 */
function relaunched() {
  if (process.env.PROTOCOL_COST_CHILD === '1') return false;
  const result = spawnSync(
    process.execPath,
    [
      ...INGEST_NODE_OPTIONS.split(' '),
      ...INGEST_NODE_ARGS,
      '--expose-gc',
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', env: { ...process.env, PROTOCOL_COST_CHILD: '1' } },
  );
  process.exit(result.status ?? 1);
}

async function main() {
  relaunched();
  const opts = parseArgs(process.argv.slice(2));
  const src = loadSources();
  let gcMs = 0;
  let gcCount = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMs += entry.duration;
      gcCount += 1;
    }
  }).observe({ entryTypes: ['gc'] });

  const producer = new CountingProducer();
  const ingest = buildIngest(src, producer);
  const all = (await variants(src, ingest)).filter((v) => opts.only === null || opts.only.has(v.name));
  const results = new Map(all.map((v) => [v.name, { cpu: [], gc: [], gcCount: [], bytes: 0, sample: null }]));

  process.stdout.write(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )}; Node ${process.version} ${INGEST_NODE_OPTIONS}; ${opts.warmup} warm-up + ${opts.rounds} rounds of ${opts.requests} requests per variant, ${opts.concurrency} in flight, variants interleaved\n`,
  );
  for (let round = 0; round < opts.warmup + opts.rounds; round++) {
    for (const variant of all) {
      global.gc?.();
      await settle();
      producer.values = 0;
      producer.streamValues = 0;
      producer.bytes = 0;
      producer.sample = null;
      if (producer.dump !== null) producer.dump.length = 0;
      gcMs = 0;
      gcCount = 0;
      const before = process.cpuUsage();
      // `concurrency` requests in flight at a time (the bench's 16 connections over two instances).
      for (let i = 0; i < opts.requests; i += opts.concurrency) {
        const wave = [];
        for (let j = i; j < Math.min(opts.requests, i + opts.concurrency); j++) wave.push(variant.run());
        await Promise.all(wave);
      }
      const used = process.cpuUsage(before);
      await settle();
      if (producer.values !== variant.entries * opts.requests) {
        throw new Error(
          `${variant.name}: ${producer.values} entries queued, expected ${variant.entries * opts.requests}`,
        );
      }
      if (round < opts.warmup) continue;
      const result = results.get(variant.name);
      const entries = producer.values;
      result.cpu.push((used.user + used.system) / entries);
      result.gc.push((gcMs * 1000) / entries);
      result.gcCount.push(gcCount / opts.requests);
      result.bytes = producer.bytes / entries;
      result.streamValuesPerRequest = producer.streamValues / opts.requests;
      result.sample = producer.sample;
      if (producer.dump !== null) {
        // receivedAt (field 1 of each entry) differs between runs; everything else must not. One line per
        // entry, so builds that chunk differently still compare.
        const stable = producer.dump.flatMap((value) =>
          entriesOf(src, value).map((entry) => src.logSchema.encodeChunkEntry({ ...entry, receivedAt: 0 })),
        );
        writeFileSync(
          join(process.env.PROTOCOL_COST_DUMP, `${variant.name}.ndjson`),
          `${stable.sort().join('\n')}\n`,
        );
      }
    }
  }

  const base = results.get('api-json-1000');
  const baseCpu = base === undefined ? undefined : median(base.cpu);
  const rows = [
    '| variant | body bytes/entry | CPU µs/entry, median (min–max) | of api-json | GC pause µs/entry (wall) | GCs/request | stream value bytes/entry | stream values/request | message chars | attribute leaves |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const variant of all) {
    const r = results.get(variant.name);
    const cpu = median(r.cpu);
    const [decoded] = entriesOf(src, r.sample);
    rows.push(
      `| ${variant.name} | ${(variant.bodyBytes / variant.entries).toFixed(0)} | ${cpu.toFixed(1)} (${Math.min(...r.cpu).toFixed(1)}–${Math.max(...r.cpu).toFixed(1)}) | ${
        baseCpu === undefined ? '—' : `${((cpu / baseCpu) * 100).toFixed(0)}%`
      } | ${median(r.gc).toFixed(1)} | ${median(r.gcCount).toFixed(1)} | ${r.bytes.toFixed(0)} | ${r.streamValuesPerRequest.toFixed(1)} | ${decoded.message.length} | ${leaves(decoded.attributes)} |`,
    );
  }
  process.stdout.write(`${rows.join('\n')}\n`);
  process.stdout.write(
    `(message chars and attribute leaves: of the first entry's stream value; load average now ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
