// Loki's JSON push (pkg/loghttp/push, pkg/loghttp/entry.go):
//   {"streams": [{"stream": {"<label>": "<value>", ...},
//                 "values": [["<unix epoch ns>", "<line>", {"<metadata>": "<value>"}?], ...]}]}
// Every value is a string, as Loki requires: timestamps are strings of nanoseconds, label and metadata
// values strings. Gzip is undone upstream (the body parser).
import { formatLabels, LabelPair } from './label-string';
import { LokiPushError, streamRef } from './loki-push.error';
import { LokiPushEntry, LokiPushRequest, LokiPushStream } from './push-request';
import { checkStreamLabels, nanosecondsToEpochMs, structuredMetadataProblem } from './stream-checks';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseBody(body: Uint8Array): unknown {
  let text: string;
  try {
    text = STRICT_UTF8.decode(body);
  } catch {
    throw new LokiPushError(400, "couldn't parse push request: the body is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new LokiPushError(400, `couldn't parse push request: ${(error as Error).message}`);
  }
}

/** The labels of `stream` as pairs, or the problem; a label object's keys are read as sent. */
function readLabels(value: unknown): LabelPair[] | string {
  if (!isObject(value))
    return `"stream" must be an object of label names to string values (got ${kindOf(value)})`;
  const labels: LabelPair[] = [];
  for (const [name, labelValue] of Object.entries(value)) {
    if (typeof labelValue !== 'string') {
      return `label ${JSON.stringify(name)} must have a string value (got ${kindOf(labelValue)})`;
    }
    labels.push([name, labelValue]);
  }
  return labels;
}

function readMetadata(value: unknown): LabelPair[] | string {
  if (!isObject(value))
    return `structured metadata must be an object of string values (got ${kindOf(value)})`;
  const metadata: LabelPair[] = [];
  for (const [name, metadataValue] of Object.entries(value)) {
    if (typeof metadataValue !== 'string') {
      return `structured metadata ${JSON.stringify(name)} must have a string value (got ${kindOf(metadataValue)})`;
    }
    metadata.push([name, metadataValue]);
  }
  const problem = structuredMetadataProblem(metadata);
  return problem === null ? metadata : `structured metadata ${problem}`;
}

/** One `values` item, or its problem. */
function readEntry(value: unknown): LokiPushEntry | string {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3) {
    return `must be ["<unix epoch nanoseconds>", "<log line>"] or with a third item, an object of structured metadata (got ${
      Array.isArray(value) ? `an array of ${value.length}` : kindOf(value)
    })`;
  }
  const [ts, line, rawMetadata] = value as unknown[];
  if (typeof ts !== 'string') {
    return `timestamp must be a string of Unix epoch nanoseconds (got ${kindOf(ts)})`;
  }
  const epochMs = nanosecondsToEpochMs(ts);
  if (epochMs === null) {
    return `timestamp must be a string of Unix epoch nanoseconds, a non-negative int64 (got ${JSON.stringify(ts.slice(0, 40))})`;
  }
  if (typeof line !== 'string') return `log line must be a string (got ${kindOf(line)})`;
  if (rawMetadata === undefined) return { epochMs, line, metadata: undefined };
  const metadata = readMetadata(rawMetadata);
  if (typeof metadata === 'string') return metadata;
  return { epochMs, line, metadata: metadata.length > 0 ? metadata : undefined };
}

function readStream(value: unknown, index: number, problems: string[]): LokiPushStream | null {
  if (!isObject(value)) {
    problems.push(`streams[${index}] must be an object with "stream" and "values" (got ${kindOf(value)})`);
    return null;
  }
  const rawLabels = readLabels(value['stream']);
  if (typeof rawLabels === 'string') {
    problems.push(`streams[${index}]: ${rawLabels}`);
    return null;
  }
  const name = formatLabels(rawLabels);
  const checked = checkStreamLabels(rawLabels, name);
  if (checked.problems.length > 0) {
    problems.push(...checked.problems);
    return null;
  }
  const values = value['values'];
  if (!Array.isArray(values)) {
    problems.push(`stream ${streamRef(name)}: "values" must be an array (got ${kindOf(values)})`);
    return null;
  }
  const entries: LokiPushEntry[] = new Array(values.length);
  let ok = true;
  for (let i = 0; i < values.length; i++) {
    const entry = readEntry(values[i]);
    if (typeof entry === 'string') {
      problems.push(`stream ${streamRef(name)}: values[${i}]: ${entry}`);
      ok = false;
    } else {
      entries[i] = entry;
    }
  }
  return ok ? { labels: checked.labels, name, entries } : null;
}

/** Decodes a JSON push body. Throws LokiPushError (400) listing every bad stream; nothing partial. */
export function decodeJsonPush(body: Uint8Array): LokiPushRequest {
  const parsed = parseBody(body);
  if (!isObject(parsed)) {
    throw new LokiPushError(
      400,
      `couldn't parse push request: the body must be a JSON object (got ${kindOf(parsed)})`,
    );
  }
  const rawStreams = parsed['streams'];
  if (!Array.isArray(rawStreams)) {
    throw new LokiPushError(
      400,
      `couldn't parse push request: "streams" must be an array (got ${kindOf(rawStreams)})`,
    );
  }
  const problems: string[] = [];
  const streams: LokiPushStream[] = [];
  for (let i = 0; i < rawStreams.length; i++) {
    const stream = readStream(rawStreams[i], i, problems);
    if (stream !== null) streams.push(stream);
  }
  if (problems.length > 0) throw LokiPushError.ofProblems(problems);
  return { streams };
}
