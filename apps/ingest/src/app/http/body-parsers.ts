import {
  GunzippedPayload,
  type BodyFrame,
  type BodyFramePool,
  type FramedBody,
  type SubmittedEntries,
  type SubmittedLines,
} from '@logpipe/log-schema';
import {
  mayHoldPrototypeKeys,
  parseJsonRefusingPrototypeKeys,
  ndjsonTexts,
  parseLargeJsonArray,
} from '@logpipe/protocol-wire-text';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { budgetSpentError, type InFlightBodyBudget } from './body-budget';
import { readBodyIntoFrame, type BodyToRead } from './framed-body';
import { protocolRouteOf } from './protocol-route';
import { RequestError } from './request-errors';

export const NDJSON_CONTENT_TYPES = ['application/x-ndjson', 'application/ndjson'];

/** Marks the parsed NDJSON body so the controller can tell "one JSON array" from "lines". */
export class NdjsonLines {
  constructor(
    readonly values: unknown[],
    /** each value's line as sent, trimmed: `texts[i]` parsed to `values[i]` */
    readonly texts: string[],
    /** the decoded body's size, which bounds the texts' */
    readonly bodyBytes: number,
    /**
     * Where the texts are in the body, when they are its lines as they stand (log-schema's
     * SubmittedLines): no blank line before the last text, nothing trimmed. Then the body is queued from
     * its bytes, as a JSON array is, and `frame` (the frame it was read into, if any) is kept with it:
     * encodeSubmittedChunks gives it back when no value is written in it, LogIngestService once Redis
     * has the value that is.
     */
    readonly lines?: SubmittedLines,
    readonly frame?: BodyFrame,
  ) {}
}

// The text of each JSON body that parsed to an array, found again by that array (see submittedEntriesOf).
const jsonArrayBodies = new WeakMap<readonly unknown[], SubmittedEntries>();

/**
 * The entries of a parsed body as the client sent them, for queuing them without encoding each one again
 * (log-schema's encodeSubmittedChunks): the JSON array's bytes, or the NDJSON lines. Undefined for a value
 * these parsers did not produce.
 */
export function submittedEntriesOf(body: unknown): SubmittedEntries | undefined {
  if (body instanceof NdjsonLines) {
    const { texts, bodyBytes, lines, frame } = body;
    return { jsonTexts: texts, bodyBytes, lines, frame };
  }
  return Array.isArray(body) ? jsonArrayBodies.get(body) : undefined;
}

function assertUtf8(body: Buffer): void {
  // Buffer#toString would quietly turn invalid bytes into U+FFFD: the stored text would differ from
  // what the client sent, so such a body is refused instead.
  if (!isUtf8(body)) throw new RequestError(400, 'body is not valid UTF-8');
}

/**
 * `mayHoldKeys`: mayHoldPrototypeKeys of the body, once per body; when false, the search for
 * prototype-pollution keys is skipped (@logpipe/protocol-wire-text).
 */
function parseJsonText(text: string, where: string, mayHoldKeys: boolean): unknown {
  try {
    return parseJsonRefusingPrototypeKeys(text, mayHoldKeys);
  } catch (error) {
    throw new RequestError(400, `${where} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * A JSON body (application/json): strict UTF-8, no prototype-pollution keys. An array is remembered
 * with its text for submittedEntriesOf, and with the `frame` it was read into, if any (framed-body.ts).
 * Throws a RequestError (400) for anything else.
 */
export function parseJsonBody(body: Buffer, frame?: BodyFrame): unknown {
  assertUtf8(body);
  const mayHoldKeys = mayHoldPrototypeKeys(body);
  // A large array in pieces, so that no string of the whole body is made (@logpipe/protocol-wire-text's
  // large-body-text.ts says what that string cost); anything else, or an array that way cannot vouch
  // for, as one text, which also gives the error message for the body as a whole.
  let parsed: unknown = parseLargeJsonArray(body, mayHoldKeys);
  if (parsed === undefined) {
    const text = body.toString('utf8');
    if (text.trim() === '') throw new RequestError(400, 'body is empty; send a JSON object or array');
    parsed = parseJsonText(text, 'body', mayHoldKeys);
  }
  // JSON.parse accepted this very text, so its bytes can be queued as sent (submittedEntriesOf).
  if (Array.isArray(parsed)) jsonArrayBodies.set(parsed, { jsonArray: body, frame, bodyBytes: body.length });
  return parsed;
}

/**
 * An NDJSON body: one JSON value per non-empty line (whitespace around it ignored), strict UTF-8, no
 * prototype-pollution keys. Throws a RequestError (400) naming the first line that is not JSON. When
 * the lines stand as sent (nothing trimmed, no blank line before the last text), the result says where
 * they are in `body` and keeps `frame`, the frame it was read into, if any; otherwise the caller can
 * give the frame back at once.
 */
export function parseNdjsonBody(body: Buffer, frame?: BodyFrame): NdjsonLines {
  assertUtf8(body);
  const { texts, lineNumbers, ends } = ndjsonTexts(body);
  const mayHoldKeys = mayHoldPrototypeKeys(body);
  const values: unknown[] = [];
  for (let i = 0; i < texts.length; i++) {
    try {
      values.push(parseJsonText(texts[i], `line ${lineNumbers[i]}`, mayHoldKeys));
    } catch (error) {
      const message = (error as Error).message;
      throw new RequestError(400, message, {
        errors: [{ index: i, line: lineNumbers[i], field: '(root)', message }],
      });
    }
  }
  if (ends === undefined) return new NdjsonLines(values, texts, body.length);
  return new NdjsonLines(values, texts, body.length, { body, ends }, frame);
}

/**
 * A body read into a frame (framed-body.ts), parsed by `parse`; the frame is given back at once unless
 * `keepsFrame` says the result is queued from the bytes in it (LogIngestService gives it back then).
 */
function parseFramed<T>(
  { body, frame }: FramedBody,
  parse: (body: Buffer, frame: BodyFrame) => T,
  keepsFrame: (parsed: T) => boolean,
): T {
  let parsed: T;
  try {
    parsed = parse(body, frame);
  } catch (error) {
    frame.release();
    throw error;
  }
  if (!keepsFrame(parsed)) frame.release();
  return parsed;
}

/**
 * A JSON body read into a frame, parsed by parseJsonBody. An array keeps the frame (it is queued from
 * its bytes, submittedEntriesOf); anything else was copied out of them by JSON.parse.
 */
export function parseFramedJsonBody(framed: FramedBody): unknown {
  return parseFramed<unknown>(framed, parseJsonBody, Array.isArray);
}

/**
 * An NDJSON body read into a frame, parsed by parseNdjsonBody. Lines as sent keep the frame; other
 * lines were copied out of it as strings.
 */
export function parseFramedNdjsonBody(framed: FramedBody): NdjsonLines {
  return parseFramed(framed, parseNdjsonBody, (lines) => lines.frame !== undefined);
}

/**
 * The body as the parsers read it: the payload itself, or log-schema's GunzippedPayload over it, which
 * decodes a small gzip body in one call and streams a larger one; either way the parser's own count
 * refuses decoded bytes past `maxBodyBytes` (framed-body.ts).
 */
function decodedPayload(request: FastifyRequest, payload: Readable, maxBodyBytes: number): Readable {
  const encoding = String(request.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (encoding === 'identity' || encoding === '') return payload;
  // Loki's protobuf push is snappy-compressed by definition and some clients say so in this header
  // (grafana/loki#3407); Loki passes such a body on to its decoder, and so does the Loki route.
  if (encoding === 'snappy' && protocolRouteOf(request).logpipeProtocol === 'loki') return payload;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new RequestError(415, `Content-Encoding "${encoding}" is not supported; send gzip or identity`);
  }
  return new GunzippedPayload(payload, maxBodyBytes);
}

/**
 * Replaces Fastify's JSON parser and adds NDJSON, both strict about UTF-8, and decompresses
 * `Content-Encoding: gzip` (decodedPayload). The parsers count the decoded bytes against `maxBodyBytes`,
 * so a gzip bomb stops with 413 once the *decompressed* size passes the limit.
 */
export interface BodyParserOptions {
  maxBodyBytes: number;
  budget: InFlightBodyBudget;
  /** Sent as Retry-After when the budget is spent. */
  retryAfterSeconds: number;
  /** Where JSON bodies are read into (framed-body.ts). */
  framePool: BodyFramePool;
}

const BUDGET_TAKEN = Symbol('logpipe:bodyBudgetTaken');
/** Bytes a request took from the budget; `closed` once given back (or its connection is gone). */
interface BudgetTaken {
  bytes: number;
  closed: boolean;
}
type BudgetedRequest = FastifyRequest & { [BUDGET_TAKEN]?: BudgetTaken };
const TAKEN_ON_SOCKET = Symbol('logpipe:bodyBudgetsOnSocket');
type BudgetedSocket = Socket & { [TAKEN_ON_SOCKET]?: Set<BudgetTaken> };

/**
 * Takes the decoded body's size from the in-flight budget before it is parsed; the preParsing hook
 * gives the bytes back when the response or its socket closes.
 */
function takeBudget(request: BudgetedRequest, body: Buffer, options: BodyParserOptions): void {
  const taken = request[BUDGET_TAKEN];
  // Nothing to take for a request whose connection is already gone: its 'close' has run, and bytes
  // taken now would never be given back.
  if (taken === undefined || taken.closed) return;
  if (!options.budget.tryTake(body.length)) throw budgetSpentError(options.budget, options.retryAfterSeconds);
  taken.bytes = body.length;
}

export function registerBodyParsers(fastify: FastifyInstance, options: BodyParserOptions): void {
  const { maxBodyBytes, budget } = options;
  const release = (taken: BudgetTaken) => {
    if (taken.closed) return;
    budget.release(taken.bytes);
    taken.bytes = 0;
    taken.closed = true;
  };
  // A callback-style hook: an async one costs a promise per request on the hottest path.
  fastify.addHook('preParsing', (request: BudgetedRequest, reply, payload, done) => {
    const taken: BudgetTaken = { bytes: 0, closed: false };
    request[BUDGET_TAKEN] = taken;
    // The response's 'close' comes when it is sent or its connection is lost. A response queued behind
    // others on a pipelining connection gets none when that connection dies, so the socket's 'close'
    // releases too; whichever comes first does it, once. The socket gets one listener for all its
    // requests (a listener added and removed per request was measurable on keep-alive connections).
    // The request's socket: a response queued behind others has none (reply.raw.socket) until its turn.
    const socket = request.raw.socket as BudgetedSocket | null;
    let onSocket: Set<BudgetTaken> | undefined;
    if (socket) {
      onSocket = socket[TAKEN_ON_SOCKET];
      if (onSocket === undefined) {
        const open = new Set<BudgetTaken>();
        socket[TAKEN_ON_SOCKET] = onSocket = open;
        socket.once('close', () => {
          open.forEach(release);
          open.clear();
        });
      }
      onSocket.add(taken);
    }
    reply.raw.once('close', () => {
      onSocket?.delete(taken);
      release(taken);
    });
    let decoded: Readable;
    try {
      decoded = decodedPayload(request, payload, maxBodyBytes);
    } catch (error) {
      done(error as Error);
      return;
    }
    done(null, decoded);
  });

  // Only the types below are accepted on Logpipe's own routes; anything else (text/plain included) is a
  // 415. A protocol route marked rawBody takes any type: its decoder checks the type and reads the bytes.
  fastify.removeAllContentTypeParsers();
  // Read as Fastify's parseAs: 'buffer' reads, into a frame (framed-body.ts): a JSON array, or NDJSON
  // lines as sent, are queued from the bytes read here without a second copy, and a gzip batch leaves
  // no fresh body-sized Buffer per request for the collector (Buffer.concat of parseAs: 'buffer').
  const framedParser =
    (parse: (framed: FramedBody) => unknown) =>
    (request: FastifyRequest, payload: Readable, done: (error: Error | null, body?: unknown) => void) => {
      readBodyIntoFrame(toRead(request, payload), maxBodyBytes, options.framePool, (readError, framed) => {
        if (framed === undefined) return done(readError, undefined);
        try {
          takeBudget(request, framed.body, options);
        } catch (error) {
          framed.frame.release();
          return done(error as Error, undefined);
        }
        // A rawBody route's decoder reads these bytes later: the frame stays with them.
        if (protocolRouteOf(request).rawBody) return done(null, framed.body);
        let parsed: unknown;
        try {
          parsed = parse(framed);
        } catch (error) {
          return done(error as Error, undefined);
        }
        done(null, parsed);
      });
    };
  fastify.addContentTypeParser('application/json', framedParser(parseFramedJsonBody));
  fastify.addContentTypeParser(NDJSON_CONTENT_TYPES, framedParser(parseFramedNdjsonBody));

  // Every other content type (and none): the bytes for a rawBody route, a 415 anywhere else, refused
  // before a byte of the body is read (as Fastify itself does for a type it has no parser for).
  fastify.addContentTypeParser('*', (request, payload, done) => {
    if (!protocolRouteOf(request).rawBody) {
      const type = request.headers['content-type'] ?? '(none)';
      done(
        new RequestError(
          415,
          `Unsupported Media Type: ${type}; send application/json, or application/x-ndjson to /api/logs`,
        ),
        undefined,
      );
      return;
    }
    readLimited(payload, maxBodyBytes, (error, body) => {
      if (error !== null) return done(error, undefined);
      try {
        takeBudget(request, body, options);
        done(null, body);
      } catch (budgetError) {
        done(budgetError as Error, undefined);
      }
    });
  });
}

/** What readBodyIntoFrame reads: a gzip body through the preParsing hook's decoding stream. */
function toRead(request: FastifyRequest, payload: Readable): BodyToRead {
  return { headers: request.headers, payload, decoded: payload !== request.raw };
}

/** The whole (decoded) body, or a 413 as soon as it passes `limit` bytes. */
function readLimited(
  payload: Readable,
  limit: number,
  callback: (error: Error | null, body: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  let length = 0;
  let finished = false;
  const finish = (error: Error | null) => {
    if (finished) return;
    finished = true;
    callback(error, error === null ? Buffer.concat(chunks, length) : Buffer.alloc(0));
  };
  payload.on('data', (chunk: Buffer) => {
    length += chunk.length;
    if (length > limit) {
      payload.removeAllListeners('data');
      payload.resume();
      finish(Object.assign(new Error('Request body is too large'), { statusCode: 413 }));
      return;
    }
    chunks.push(chunk);
  });
  payload.on('error', (error) => finish(error));
  payload.on('end', () => finish(null));
}
