// The floor of issue 14: a bare node:http server in ingest's place behind the bench's nginx, doing
// what ingest's POST /api/log and /api/logs must do and nothing else: read the body (gzip or not,
// bounded), refuse invalid UTF-8, parse it as ingest does (parseJsonRefusingPrototypeKeys: JSON or NDJSON), validate with
// log-schema's validator, encode with log-schema's codec (a batch queued as sent by encodeSubmittedChunks
// when it fits ingest's CHUNK_MAX_ENTRIES / CHUNK_MAX_BYTES, else cut into chunks by encodeLogChunks;
// single entries of one turn chunked together by SingleEntryChunks) and append with stream-client's StreamProducer
// (the same Lua scripts, entry counter, auto-pipelining and timeouts). No Nest application,
// no Fastify: the difference to ingest is what the framework and ingest's extras cost.
// Built by tools/bench/ceilings/node-http-floor.mjs (esbuild, the workspace's path aliases).
import 'reflect-metadata';
import {
  BodyFramePool,
  checkLogBatch,
  type ChunkLimits,
  DEFAULT_CHUNK_MAX_BYTES,
  DEFAULT_CHUNK_MAX_ENTRIES,
  DEFAULT_TENANT,
  encodeLogChunks,
  encodeSubmittedChunks,
  BodyFrameWriter,
  firstFrameBodyBytes,
  type EntryTimeLimits,
  FrameLease,
  type FramedBody,
  GunzippedPayload,
  SingleEntryChunks,
  type SubmittedEntries,
  submittedFitsChunks,
  validateLogBatch,
  validateLogEntry,
} from '@logpipe/log-schema';
import {
  mayHoldPrototypeKeys,
  parseJsonRefusingPrototypeKeys,
  ndjsonTexts,
  parseLargeJsonArray,
} from '@logpipe/protocol-wire-text';
import { resolveStreamClientOptions, StreamProducer } from '@logpipe/stream-client';
import { keepRequestObjectsYoung } from '@logpipe/app-runtime';
import { isUtf8 } from 'node:buffer';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

// The V8 settings ingest's main.ts makes, so the floor and ingest differ by their code, not their heap
// (the memory reducer is off on the command line both are started with, INGEST_NODE_ARGS).
keepRequestObjectsYoung();

interface FloorConfig {
  host: string;
  port: number;
  redisUrl: string;
  streamKey: string;
  maxBodyBytes: number;
  instance: string;
  timeLimits: EntryTimeLimits;
  chunkLimits: ChunkLimits;
}

function integerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(
      `${name} must be a whole number (milliseconds or bytes) for the floor server, got "${raw}"`,
    );
  }
  return value;
}

function loadConfig(env: NodeJS.ProcessEnv): FloorConfig {
  const port = integerSetting(env, 'PORT', 0);
  if (port === 0) throw new Error('PORT must be set for the floor server');
  if (!env['REDIS_URL']) throw new Error('REDIS_URL must be set for the floor server');
  return {
    host: env['HOST'] ?? '127.0.0.1',
    port,
    redisUrl: env['REDIS_URL'],
    streamKey: env['STREAM_KEY'] || 'logs:stream',
    // Ingest's defaults (apps/ingest/src/app/ingest.config.ts).
    maxBodyBytes: integerSetting(env, 'MAX_BODY_BYTES', 5 * 1024 * 1024),
    instance: env['INSTANCE_ID'] ?? `floor-${process.pid}`,
    timeLimits: {
      maxAgeMs: integerSetting(env, 'ENTRY_MAX_AGE', 30 * 86_400_000),
      maxFutureMs: integerSetting(env, 'ENTRY_MAX_FUTURE', 3_600_000),
    },
    chunkLimits: {
      maxEntries: integerSetting(env, 'CHUNK_MAX_ENTRIES', DEFAULT_CHUNK_MAX_ENTRIES),
      maxBytes: integerSetting(env, 'CHUNK_MAX_BYTES', DEFAULT_CHUNK_MAX_BYTES),
    },
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// As ingest's (ingest-core.module.ts): half of its default MAX_IN_FLIGHT_BODY_BYTES (8 MiB) kept for reuse.
const FRAME_POOL = new BodyFramePool(4 * 1024 * 1024);

/**
 * The body, decompressed when gzip, refused past maxBodyBytes (decoded size, as ingest does), written
 * into a frame as it arrives, as ingest reads a JSON body (framed-body.ts, log-schema's
 * firstFrameBodyBytes), so an array is queued from that one copy.
 */
function readBody(request: IncomingMessage, maxBodyBytes: number, pool: BodyFramePool): Promise<FramedBody> {
  return new Promise((resolve, reject) => {
    const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
    let source: NodeJS.ReadableStream = request;
    if (encoding === 'gzip' || encoding === 'x-gzip') {
      // As ingest decodes it (body-parsers.ts): in one call when small, else as a stream.
      source = new GunzippedPayload(request, maxBodyBytes);
    } else if (encoding !== 'identity' && encoding !== '') {
      reject(new HttpError(415, `Content-Encoding "${encoding}" is not supported`));
      request.resume();
      return;
    }
    const contentLength = Number(request.headers['content-length']);
    if (contentLength > maxBodyBytes) {
      reject(new HttpError(413, 'body too large'));
      request.resume();
      return;
    }
    const writer = new BodyFrameWriter(
      firstFrameBodyBytes(contentLength, source !== request, maxBodyBytes),
      pool,
    );
    let size = 0;
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        writer.discard();
        reject(new HttpError(413, 'body too large'));
        request.unpipe();
        request.resume();
        return;
      }
      writer.write(chunk);
    });
    source.on('end', () => resolve(writer.finish()));
    source.on('error', (error) => {
      writer.discard();
      reject(new HttpError(400, `body could not be read: ${error.message}`));
    });
  });
}

function parseJson(text: string, mayHoldKeys: boolean): unknown {
  try {
    return parseJsonRefusingPrototypeKeys(text, mayHoldKeys);
  } catch (error) {
    throw new HttpError(400, `not valid JSON: ${(error as Error).message}`);
  }
}

/** The parsed body, and its entries as sent (what ingest's body parsers keep for submittedEntriesOf). */
function parseBody(
  { body, frame }: FramedBody,
  contentType: string,
): { ndjson: boolean; value: unknown; submitted?: SubmittedEntries } {
  if (!isUtf8(body)) throw new HttpError(400, 'body is not valid UTF-8');
  const mayHoldKeys = mayHoldPrototypeKeys(body);
  // As ingest's body-parsers.ts: no string of a whole large body.
  if (contentType.startsWith('application/x-ndjson') || contentType.startsWith('application/ndjson')) {
    // As ingest's parseNdjsonBody: lines as sent are queued from the body's bytes in its frame.
    const { texts, ends } = ndjsonTexts(body);
    const values = texts.map((text) => parseJson(text, mayHoldKeys));
    const submitted =
      ends === undefined
        ? { jsonTexts: texts, bodyBytes: body.length }
        : { jsonTexts: texts, bodyBytes: body.length, lines: { body, ends }, frame };
    return { ndjson: true, value: values, submitted };
  }
  const value = parseLargeJsonArray(body, mayHoldKeys) ?? parseJson(body.toString('utf8'), mayHoldKeys);
  const submitted = Array.isArray(value) ? { jsonArray: body, frame, bodyBytes: body.length } : undefined;
  return { ndjson: false, value, submitted };
}

function send(response: ServerResponse, status: number, body: unknown, instance: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-logpipe-instance': instance,
  });
  response.end(text);
}

async function handle(
  request: IncomingMessage,
  config: FloorConfig,
  producer: StreamProducer,
  singles: SingleEntryChunks,
): Promise<[number, unknown]> {
  const single = request.url === '/api/log';
  if (request.method !== 'POST' || (!single && request.url !== '/api/logs')) {
    return [404, { statusCode: 404, message: 'the floor server only takes POST /api/log and /api/logs' }];
  }
  const body = await readBody(request, config.maxBodyBytes, FRAME_POOL);
  return answer(body, String(request.headers['content-type'] ?? ''), single, config, producer, singles);
}

/**
 * Not async, as ingest's LogIngestService.ingestMany: the parsed body is not held while Redis answers,
 * so its objects die young.
 */
function answer(
  body: FramedBody,
  contentType: string,
  single: boolean,
  config: FloorConfig,
  producer: StreamProducer,
  singles: SingleEntryChunks,
): Promise<[number, unknown]> {
  const { ndjson, value, submitted } = parseBody(body, contentType);
  const context = { receivedAtMs: Date.now(), tenant: DEFAULT_TENANT, timeLimits: config.timeLimits };
  if (single) {
    if (ndjson) throw new HttpError(415, 'POST /api/log takes one entry as application/json');
    const result = validateLogEntry(value, context);
    if (!result.ok) return Promise.resolve([400, { statusCode: 400, errors: result.errors }]);
    // As LogIngestService.ingestOne: the single entries of one turn share chunks (SingleEntryChunks).
    return singles.append(result.entry).then((id) => [202, { status: 'queued', id }]);
  }
  if (!Array.isArray(value) || value.length === 0)
    throw new HttpError(400, 'send a non-empty array of entries');
  // As LogIngestService.ingestMany: the entries as sent when they fit the chunk limits, else encoded;
  // the request's chunks and its entry count in one append; the values in frames from the pool, given
  // back once Redis has them.
  const lease = new FrameLease(FRAME_POOL);
  let values: (string | Buffer)[];
  if (submitted !== undefined && submittedFitsChunks(submitted, value.length, context, config.chunkLimits)) {
    const result = checkLogBatch(value, context);
    if (!result.ok) return Promise.resolve([400, { statusCode: 400, errors: result.errors }]);
    values = encodeSubmittedChunks(submitted, context, config.chunkLimits, lease);
  } else {
    const result = validateLogBatch(value, context);
    if (!result.ok) return Promise.resolve([400, { statusCode: 400, errors: result.errors }]);
    values = encodeLogChunks(result.entries, config.chunkLimits, lease);
  }
  const count = value.length;
  return producer
    .appendChunks(values, count, (size) => lease.take(size))
    .then(() => {
      lease.release();
      body.frame.release();
      return [202, { status: 'queued', count }];
    });
}

export async function bootstrap(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(env);
  const producer = new StreamProducer(
    resolveStreamClientOptions({
      redisUrl: config.redisUrl,
      streamKey: config.streamKey,
      connectionName: 'logpipe-floor',
    }),
  );
  await producer.onModuleInit();
  const singles = new SingleEntryChunks(producer, config.chunkLimits);
  const server = createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
    handle(request, config, producer, singles).then(
      ([status, body]) => send(response, status, body, config.instance),
      (error: Error) => {
        const status = error instanceof HttpError ? error.status : 503;
        send(response, status, { statusCode: status, message: error.message }, config.instance);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  process.stdout.write(`node:http floor listening on ${config.host}:${config.port}\n`);
  const stop = () => {
    server.close(() => {
      producer.onApplicationShutdown().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

bootstrap().catch((error: Error) => {
  process.stderr.write(`node:http floor: ${error.message}\n`);
  process.exit(1);
});
