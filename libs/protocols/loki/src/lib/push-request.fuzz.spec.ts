import fc from 'fast-check';
import { compressSync } from 'snappy';
import { encodePushBody, encodePushProto } from '../test-support/push-encoder';
import { formatLabels, LabelPair, parseLabelString } from './label-string';
import { mapLokiPush } from './loki-entry.mapper';
import { LokiPushError } from './loki-push.error';
import { decodeLokiPush } from './push-request.decoder';

const LIMIT = 1024 * 1024;
const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

/** Decodes and maps; returns the entry count, or to the LokiPushError; anything else fails the test. */
function outcome(body: Uint8Array, contentType: string): number | LokiPushError {
  try {
    return mapLokiPush(decodeLokiPush(body, contentType, { maxBodyBytes: LIMIT })).entries.length;
  } catch (error) {
    if (error instanceof LokiPushError) {
      expect([400, 413]).toContain(error.status);
      expect(error.message.length).toBeGreaterThan(0);
      return error;
    }
    throw error;
  }
}

const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/);
const labelValue = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 });
const labelSet = fc.uniqueArray(fc.tuple(labelName, labelValue), {
  minLength: 1,
  maxLength: 6,
  selector: ([n]) => n,
});
const entry = fc.record({
  timestamp: fc.record({
    seconds: fc.integer({ min: 0, max: 4_000_000_000 }),
    nanos: fc.integer({ min: 0, max: 999_999_999 }),
  }),
  line: fc.string({ minLength: 1, maxLength: 40 }),
});
const validStreams = fc.array(
  fc.record({
    labels: labelSet.map((pairs) => formatLabels(pairs as LabelPair[])),
    entries: fc.array(entry, { maxLength: 5 }),
  }),
  { maxLength: 4 },
);

describe('Loki push decoding under fuzzing', () => {
  it('random bytes as protobuf: a clean 400/413, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        outcome(bytes, PROTOBUF);
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes behind a valid snappy block (bad protobuf): a clean answer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        outcome(compressSync(Buffer.from(bytes)), PROTOBUF);
      }),
      { numRuns: 500 },
    );
  });

  it('a valid push cut anywhere, or with a byte flipped, in the snappy or in the protobuf: a clean answer', () => {
    fc.assert(
      fc.property(
        validStreams,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        (streams, cutAt, flipAt, flip, inSnappy) => {
          const proto = encodePushProto(streams);
          const outer = inSnappy ? encodePushBody(streams) : Buffer.from(proto);
          const cut = outer.subarray(0, cutAt % (outer.length + 1));
          const flipped = Buffer.from(outer);
          if (flipped.length > 0) flipped[flipAt % flipped.length] ^= flip;
          for (const bytes of [cut, flipped]) {
            outcome(inSnappy ? bytes : compressSync(bytes), PROTOBUF);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a valid protobuf push decodes to exactly its entries', () => {
    fc.assert(
      fc.property(validStreams, (streams) => {
        const count = outcome(encodePushBody(streams), PROTOBUF);
        expect(count).toBe(streams.reduce((n, s) => n + s.entries.length, 0));
      }),
      { numRuns: 200 },
    );
  });

  it('a valid protobuf push decodes to exactly what was encoded: labels, lines, metadata, timestamps', () => {
    const richEntry = fc.record({
      timestamp: fc.record({
        seconds: fc.integer({ min: 0, max: 253_402_300_799 }),
        nanos: fc.integer({ min: 0, max: 999_999_999 }),
      }),
      line: fc.string({ unit: 'binary', maxLength: 60 }),
      structuredMetadata: fc.array(
        fc.record({ name: labelName, value: fc.string({ unit: 'binary', maxLength: 20 }) }),
        { maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ labels: labelSet, entries: fc.array(richEntry, { maxLength: 4 }) }), {
          maxLength: 3,
        }),
        (streams) => {
          const encoded = streams.map(({ labels, entries }) => ({
            labels: formatLabels(labels as LabelPair[]),
            entries,
          }));
          const decoded = decodeLokiPush(encodePushBody(encoded), PROTOBUF, { maxBodyBytes: LIMIT });
          expect(decoded).toEqual({
            streams: encoded.map(({ labels, entries }, i) => ({
              labels: streams[i].labels,
              name: labels,
              entries: entries.map(({ timestamp, line, structuredMetadata }) => ({
                epochMs: timestamp.seconds * 1000 + Math.floor(timestamp.nanos / 1_000_000),
                line,
                metadata:
                  structuredMetadata.length === 0
                    ? undefined
                    : structuredMetadata.map(({ name, value }) => [name, value]),
              })),
            })),
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('random bytes and random JSON values as JSON: a clean 400, never a crash', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
          fc.json().map((j) => Buffer.from(j)),
        ),
        (body) => {
          outcome(body, JSON_TYPE);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('JSON pushes with values of random types: refused or decoded, never a crash', () => {
    const anything = fc.anything({ maxDepth: 2 });
    const push = fc.record({
      streams: fc.array(
        fc.record({
          stream: fc.oneof(fc.dictionary(labelName, fc.oneof(labelValue, anything)), anything),
          values: fc.oneof(
            fc.array(
              fc.oneof(
                fc.tuple(
                  fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), anything),
                  fc.oneof(fc.string(), anything),
                ),
                anything,
              ),
              { maxLength: 4 },
            ),
            anything,
          ),
        }),
        { maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(push, (value) => {
        outcome(Buffer.from(JSON.stringify(value) ?? 'null'), JSON_TYPE);
      }),
      { numRuns: 500 },
    );
  });

  it('label strings: what formatLabels renders parses back to the same labels', () => {
    fc.assert(
      fc.property(labelSet, (pairs) => {
        expect(parseLabelString(formatLabels(pairs as LabelPair[]), 15)).toEqual({ ok: true, labels: pairs });
      }),
      { numRuns: 500 },
    );
  });

  it('label strings: any text parses or gives a problem, never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.string({ unit: fc.constantFrom('{', '}', '"', '\\', '=', ',', 'a', ' ', '`', 'x', '0', 'u') }),
        ),
        (text) => {
          const result = parseLabelString(text, 15);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
