import fc from 'fast-check';
import { MAX_ATTRIBUTES_BYTES, MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS } from './log-entry.limits';
import { LogEntry } from './log-entry.types';
import { checkLogBatch, validateLogBatch, validateLogEntry } from './log-entry.validation';
import { LOG_LEVELS } from './log-level';
import { encodeSubmittedChunks } from './stream-chunks';
import { decodeLogEntry, decodeStreamValue, encodeLogEntry } from './stream-codec';

const RECEIVED_AT = 1_764_151_200_500;
const FIELD_NAMES = ['timestamp', 'level', 'service', 'message', 'attributes', 'trace_id', 'span_id', 'id'];

// Any Unicode code points (surrogate pairs included, never lone surrogates), without NUL.
const storableString = (maxLength: number, minLength = 0) =>
  fc.string({ unit: 'binary', minLength, maxLength }).map((s) => s.replaceAll('\u0000', '\u0001'));

const attributeKey = storableString(12).filter(
  (key) => !['__proto__', 'constructor', 'prototype'].includes(key),
);

const { attributeValue } = fc.letrec<{ attributeValue: unknown }>((tie) => ({
  attributeValue: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    storableString(24),
    fc.array(tie('attributeValue'), { maxLength: 4 }),
    fc.dictionary(attributeKey, tie('attributeValue'), { maxKeys: 4 }),
  ),
}));

const attributes = fc
  .dictionary(attributeKey, attributeValue, { maxKeys: 6 })
  // Through JSON once, as ingest receives it: -0 becomes 0, objects get Object.prototype.
  .map((value) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>)
  .filter((value) => Buffer.byteLength(JSON.stringify(value)) <= MAX_ATTRIBUTES_BYTES);

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** An ISO-8601 rendering of `epochMs` at a UTC offset (Z or +00:00 for zero), with sub-millisecond digits. */
function isoAtOffset(epochMs: number, offsetMinutes: number, zulu: boolean, extraDigits: string): string {
  const local = new Date(epochMs + offsetMinutes * 60_000).toISOString().slice(0, -1);
  if (offsetMinutes === 0 && zulu) return `${local}${extraDigits}Z`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${extraDigits}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const YEAR_0_MS = Date.parse('0000-01-01T00:00:00Z');

const timestamp = fc.oneof(
  fc
    .integer({ min: MIN_TIMESTAMP_MS, max: MAX_TIMESTAMP_MS })
    .map((ms) => ({ input: ms as string | number, ms })),
  fc
    .record({
      ms: fc.integer({ min: MIN_TIMESTAMP_MS, max: MAX_TIMESTAMP_MS }),
      offsetMinutes: fc.oneof(fc.constant(0), fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 })),
      zulu: fc.boolean(),
      extraDigits: fc.stringMatching(/^[0-9]{0,6}$/),
    })
    // The local time must still have a four-digit year.
    .filter(
      ({ ms, offsetMinutes }) =>
        ms + offsetMinutes * 60_000 <= MAX_TIMESTAMP_MS && ms + offsetMinutes * 60_000 >= YEAR_0_MS,
    )
    .map(({ ms, offsetMinutes, zulu, extraDigits }) => ({
      input: isoAtOffset(ms, offsetMinutes, zulu, extraDigits) as string | number,
      ms,
    })),
);

const validSubmission = fc.record(
  {
    timestamp,
    level: fc.constantFrom(...LOG_LEVELS),
    service: storableString(64, 1), // up to 64 code points: at most 128 UTF-16 code units
    message: storableString(300, 1),
    attributes,
    trace_id: fc.stringMatching(/^[0-9a-fA-F]{32}$/),
    span_id: fc.stringMatching(/^[0-9a-fA-F]{16}$/),
    id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/),
  },
  { requiredKeys: ['level', 'service', 'message'] },
);

type Submission = typeof validSubmission extends fc.Arbitrary<infer T> ? T : never;

function expectedEntry(submission: Submission): LogEntry {
  return {
    timestamp: submission.timestamp === undefined ? RECEIVED_AT : submission.timestamp.ms,
    receivedAt: RECEIVED_AT,
    level: submission.level,
    service: submission.service,
    message: submission.message,
    attributes: submission.attributes ?? null,
    traceId: submission.trace_id?.toLowerCase() ?? null,
    spanId: submission.span_id?.toLowerCase() ?? null,
    eventId: submission.id ?? null,
    tenant: 'default',
  };
}

function asInput(submission: Submission): Record<string, unknown> {
  const { timestamp: ts, ...rest } = submission;
  return ts === undefined ? rest : { ...rest, timestamp: ts.input };
}

describe('log entry properties', () => {
  it('accepts every valid submission, normalises it as specified, and round-trips it through the stream codec', () => {
    fc.assert(
      fc.property(validSubmission, (submission) => {
        const result = validateLogEntry(asInput(submission), RECEIVED_AT);
        expect(result).toEqual({ ok: true, entry: expectedEntry(submission) });
        if (result.ok) {
          expect(decodeLogEntry(encodeLogEntry(result.entry))).toEqual(result.entry);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary JSON, and what it accepts round-trips through the codec', () => {
    const entryShaped = fc.dictionary(
      fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string()),
      fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...LOG_LEVELS)),
      { maxKeys: 8 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), entryShaped), (input) => {
        const result = validateLogEntry(input, RECEIVED_AT);
        if (result.ok) {
          expect(decodeLogEntry(encodeLogEntry(result.entry))).toEqual(result.entry);
        } else {
          expect(result.errors.length).toBeGreaterThan(0);
          for (const error of result.errors) {
            expect(typeof error.field).toBe('string');
            expect(error.message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('with time limits, accepts exactly the valid submissions whose time is within them, and names the limit otherwise', () => {
    const limits = fc.record({
      maxAgeMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 400 * 86_400_000 })),
      maxFutureMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7 * 86_400_000 })),
    });
    fc.assert(
      fc.property(validSubmission, limits, (submission, timeLimits) => {
        const context = { receivedAtMs: RECEIVED_AT, tenant: 'default', timeLimits };
        const result = validateLogEntry(asInput(submission), context);
        const ts = expectedEntry(submission).timestamp;
        const tooOld = timeLimits.maxAgeMs > 0 && ts < RECEIVED_AT - timeLimits.maxAgeMs;
        const tooNew = timeLimits.maxFutureMs > 0 && ts > RECEIVED_AT + timeLimits.maxFutureMs;
        if (!tooOld && !tooNew) {
          expect(result).toEqual({ ok: true, entry: expectedEntry(submission) });
        } else {
          expect(result.ok).toBe(false);
          expect(!result.ok && result.errors).toEqual([
            {
              field: 'timestamp',
              message: expect.stringContaining(tooOld ? 'ENTRY_MAX_AGE' : 'ENTRY_MAX_FUTURE'),
            },
          ]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('reports batch errors only at indexes of entries that fail on their own', () => {
    const item = fc.oneof(validSubmission.map(asInput), fc.jsonValue({ maxDepth: 2 }));
    fc.assert(
      fc.property(fc.array(item, { maxLength: 8 }), (inputs) => {
        const failing = inputs.flatMap((input, index) =>
          validateLogEntry(input, RECEIVED_AT).ok ? [] : [index],
        );
        const result = validateLogBatch(inputs, RECEIVED_AT);
        if (failing.length === 0) {
          expect(result.ok && result.entries).toHaveLength(inputs.length);
        } else {
          expect(result.ok).toBe(false);
          expect(!result.ok && [...new Set(result.errors.map((e) => e.index))]).toEqual(failing);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('checkLogBatch gives validateLogBatch verdict and errors, and the batch as sent (version 4) reads back as its entries', () => {
    const item = fc.oneof(
      validSubmission.map(asInput),
      validSubmission.map(asInput),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const limits = fc.option(
      fc.record({
        maxAgeMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 400 * 86_400_000 })),
        maxFutureMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7 * 86_400_000 })),
      }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 8 }), limits, (inputs, timeLimits) => {
        const context = { receivedAtMs: RECEIVED_AT, tenant: 'acme', timeLimits };
        const validated = validateLogBatch(inputs, context);
        const checked = checkLogBatch(inputs, context);
        if (!validated.ok) {
          expect(checked).toEqual(validated);
          return;
        }
        expect(checked).toEqual({ ok: true });
        const text = JSON.stringify(inputs);
        const submitted = { jsonArray: Buffer.from(text), bodyBytes: Buffer.byteLength(text) };
        const [value] = encodeSubmittedChunks(submitted, context, { maxEntries: 8, maxBytes: 1 << 30 });
        const slots = decodeStreamValue(value.toString('utf8')).slots;
        expect(slots).toEqual(validated.entries.map((entry) => ({ ok: true, entry })));
      }),
      { numRuns: 500 },
    );
  });
});
